// Blog post page: count the reading and like without a page reload.
// Both are enhancements: the like form also works as a plain POST.
(() => {
  const article = document.querySelector("[data-view-url]");
  if (article) {
    const url = article.dataset.viewUrl;
    if (navigator.sendBeacon) {
      navigator.sendBeacon(url);
    } else {
      fetch(url, { method: "POST", credentials: "same-origin", keepalive: true });
    }
  }

  const plural = (count) => `${count} like${count === 1 ? "" : "s"}`;

  document.querySelectorAll("[data-like-form]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("[data-like-button]");
      const count = form.querySelector("[data-like-count]");
      button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        const data = await response.json();
        if (!response.ok) {
          count.textContent = data.error || "Please try again later.";
          return;
        }
        button.setAttribute("aria-pressed", "true");
        form.querySelector("[data-like-label]").textContent = "You found this helpful";
        count.textContent = plural(data.likes);
        document.querySelectorAll("[data-like-total]").forEach((node) => {
          node.textContent = plural(data.likes);
        });
      } catch {
        form.submit();
      }
    });
  });
})();
