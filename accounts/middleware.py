from django.utils import translation


class MemberLanguageMiddleware:
    """Serve a logged-in person in the language saved in their profile.

    LocaleMiddleware has already chosen from the cookie and the browser; a saved choice wins
    because it follows the member from device to device.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        if authenticated and user.language and translation.check_for_language(user.language):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
