// Small enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Forms marked data-once cannot be sent twice by a double click.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("[type=submit]").forEach((button) => { button.disabled = true; });
    });
  });
});
