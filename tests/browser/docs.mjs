// /docs in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): the
// page renders the OpenAPI document (every operation, by tag), takes an access token at
// the top, and "Send" on GET /api/auth/me gets the signed-in user back; a POST sends its
// example body. Every request the page makes must stay on the API's own origin, and the
// page must raise no error (a Content-Security-Policy violation counts).
// Prints one JSON line; exits non-zero on failure.
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
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

  await page.goto(`${base}/docs`);
  await page.locator("details.op").first().waitFor({ timeout: 20000 });
  const title = (await page.locator("#title").textContent()).trim();
  const operations = await page.locator("details.op").count();

  // The access token, then GET /api/auth/me.
  await page.locator("#bearer").fill(token);
  const me = page.locator("#op-get_api_auth_me");
  await me.locator(":scope > summary").click();
  await me.locator("button.send").click();
  const status = (await me.locator(".result .status .code").textContent({ timeout: 20000 })).trim();
  const body = JSON.parse(await me.locator(".result pre.body").textContent());

  // A write with the example body the page fills in.
  const create = page.locator("#op-post_api_os_tasks");
  await create.locator(":scope > summary").click();
  await create.locator("button.send").click();
  const created = (await create.locator(".result .status .code").textContent({ timeout: 20000 })).trim();

  // The sign-up example works as sent, every time: its email is fresh on each page.
  const signup = page.locator("#op-post_api_auth_signup");
  await signup.locator(":scope > summary").click();
  const signupEmail = JSON.parse(await signup.locator("textarea").inputValue()).email;
  await signup.locator("button.send").click();
  const signedUp = (await signup.locator(".result .status .code").textContent({ timeout: 20000 })).trim();

  // The filter hides what does not match.
  await page.locator("#filter").fill("api-keys");
  const filtered = await page.locator("details.op:not([hidden])").count();
  await page.locator("#filter").fill("");
  await me.scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshot });

  const outside = requested.filter((u) => !u.startsWith(base) && !u.startsWith("data:"));
  const result = { title, operations, status, body, created, signupEmail, signedUp, filtered, requests: requested.length, outside, errors };
  console.log(JSON.stringify(result));
  if (status !== "200" || created !== "201" || signedUp !== "201" || outside.length || errors.length) process.exit(1);
} finally {
  await browser.close();
}
