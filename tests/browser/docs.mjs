// /docs in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// the page renders the OpenAPI document, the Authorize box takes a Bearer token, and
// "Execute" on GET /api/auth/me gets the signed-in user back. Every request the page
// makes must stay on the API's own origin. Prints one JSON line; exits non-zero on failure.
// Usage: node docs.mjs <base-url> <access-token> <screenshot.png>
import { chromium } from "playwright-core";

const [base, token, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(`${base}/docs`);
  const title = await page.locator(".swagger-ui .information-container .title").first().textContent({ timeout: 20000 });

  // Authorize with the access token (the "bearer" scheme).
  await page.locator("button.authorize").first().click();
  const scheme = page.locator(".auth-container").filter({ hasText: "(http, Bearer)" }).first();
  await scheme.locator("input").first().fill(token);
  await scheme.locator("button.authorize").click();
  await page.locator(".dialog-ux button.close-modal").first().click();

  // Try GET /api/auth/me.
  const op = page.locator("#operations-auth-get_api_auth_me");
  await op.locator(".opblock-summary").first().click();
  const tryOut = op.locator("button.try-out__btn");
  if (await tryOut.count() && (await tryOut.textContent()).includes("Try it out")) await tryOut.click();
  await op.locator("button.execute").click();
  const status = (await op.locator(".live-responses-table tr.response .response-col_status").first().textContent({ timeout: 20000 })).trim();
  const body = await op.locator(".live-responses-table .response-col_description pre").first().textContent();
  await page.screenshot({ path: screenshot });

  const outside = requested.filter((u) => !u.startsWith(base) && !u.startsWith("data:"));
  const result = { title: title.trim(), status, body: JSON.parse(body), requests: requested.length, outside, errors };
  console.log(JSON.stringify(result));
  if (status !== "200" || outside.length || errors.length) process.exit(1);
} finally {
  await browser.close();
}
