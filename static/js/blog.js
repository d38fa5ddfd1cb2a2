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

  // The page may come from the page cache: fetch the current counters
  // (at most a minute old) instead of the ones it was kept with.
  if (article && article.dataset.countsUrl) {
    fetch(article.dataset.countsUrl, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        // Counts only grow, and the JSON may be up to a minute old: never
        // show fewer than the page itself.
        const shown = (node) => Number.parseInt(node.textContent, 10) || 0;
        document.querySelectorAll("[data-like-total], [data-like-count]").forEach((node) => {
          node.textContent = plural(Math.max(shown(node), data.likes));
        });
        document.querySelectorAll("[data-view-total]").forEach((node) => {
          const views = Math.max(shown(node), data.views);
          node.textContent = `${views} view${views === 1 ? "" : "s"}`;
        });
      })
      .catch(() => {});
  }

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
