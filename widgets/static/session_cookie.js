// Trades a one-time claim code for the HttpOnly session cookie (serve.py answers with Set-Cookie).
// Each code is posted once per page, however often the app redraws the component.
const posted = new Set();

export default function ({ data }) {
  if (!data || !data.claim || posted.has(data.claim)) return;
  posted.add(data.claim);
  fetch(data.url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ claim: data.claim }),
  }).catch(() => posted.delete(data.claim)); // offline for a moment: try again at the next redraw
}
