// Small enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Forms marked data-once cannot be sent twice by a double click.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("[type=submit]").forEach((button) => { button.disabled = true; });
    });
  });
});

// Referral link: the phone's share sheet where there is one, otherwise copy to the clipboard.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".share-button").forEach((button) => {
    const status = document.querySelector(".share-status");
    button.hidden = false;
    button.addEventListener("click", async () => {
      const url = button.dataset.shareUrl;
      if (navigator.share) {
        try {
          await navigator.share({ title: button.dataset.shareTitle, url });
          return;
        } catch (error) {
          if (error.name === "AbortError") return;
        }
      }
      try {
        await navigator.clipboard.writeText(url);
        if (status) status.textContent = button.dataset.copied;
      } catch (error) {
        const field = document.getElementById("referral-link");
        if (field) field.select();
      }
    });
  });
});
