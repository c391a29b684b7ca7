// Saved replies: choosing one fills the message box (the page works without it too).
document.querySelectorAll("select.reply-templates").forEach((select) => {
  select.addEventListener("change", () => {
    const target = document.getElementById(select.dataset.target);
    if (target && select.value) {
      target.value = select.value;
      target.focus();
    }
  });
});
