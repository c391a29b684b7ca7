"""Guards in front of every view."""

from suki.errors import bad_request

NUL = "\0"


class RefuseNulBytesMiddleware:
    """A NUL byte belongs in no address, query or form field, and PostgreSQL refuses it in any
    text it is sent (ValueError, a failed page): answer 400 before a view can send it on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            NUL in request.path
            or _carries_nul(request.GET)
            or _carries_nul(request.POST)
            or any(NUL in upload.name for upload in _uploads(request))
        ):
            return bad_request(request)
        return self.get_response(request)


def _carries_nul(query) -> bool:
    return any(
        NUL in name or any(NUL in value for value in values) for name, values in query.lists()
    )


def _uploads(request):
    return (upload for _name, uploads in request.FILES.lists() for upload in uploads)
