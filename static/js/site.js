// Progressive enhancements only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-link]");
  if (!button || !navigator.clipboard) return;
  event.preventDefault();
  navigator.clipboard.writeText(button.dataset.copyLink).then(() => {
    const status = document.getElementById(button.getAttribute("aria-controls"));
    if (status) status.textContent = "Link copied.";
  });
});
