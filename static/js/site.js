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

// First-touch attribution without a cookie (leads/attribution.py): the
// visit's first page, its external referrer and UTM values stay in this
// tab's sessionStorage and fill the consultation form's hidden fields.
(() => {
  const KEY = "visit_source";
  let source = null;
  try {
    source = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (!source) {
      const params = new URLSearchParams(location.search);
      let referrer = "";
      try {
        if (document.referrer && new URL(document.referrer).host !== location.host) {
          referrer = document.referrer;
        }
      } catch (error) {
        referrer = "";
      }
      source = {
        landing_page: location.pathname,
        referrer: referrer,
        utm_source: params.get("utm_source") || "",
        utm_medium: params.get("utm_medium") || "",
        utm_campaign: params.get("utm_campaign") || "",
      };
      sessionStorage.setItem(KEY, JSON.stringify(source));
    }
  } catch (error) {
    return; // storage disabled: the server's values stay
  }
  const fill = () => {
    for (const input of document.querySelectorAll("input[data-attribution]")) {
      const value = source[input.dataset.attribution];
      if (typeof value === "string") input.value = value;
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
