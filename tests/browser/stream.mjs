// A streamed Assistant turn read by headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core): on a page of the worker (/docs), `fetch` with
// `Accept: text/event-stream` and a ReadableStream reader, the events parsed as they
// arrive. Prints one JSON line: the event names, the deltas' text, how many reads the
// body took and the time between the first and the last delta.
// Usage: node stream.mjs <base-url> <access-token>
import { chromium } from "playwright-core";

const [base, token] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${base}/docs`);
  const result = await page.evaluate(async (token) => {
    const response = await fetch("/api/assistant/chat", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ message: "stream-add milk from the browser" }),
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const names = [];
    const deltaTimes = [];
    let text = "";
    let buffer = "";
    let reads = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      reads += 1;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!name || data === undefined) continue;
        names.push(name);
        if (name === "delta") {
          text += JSON.parse(data).text;
          deltaTimes.push(performance.now());
        }
      }
    }
    return { status: response.status, type: response.headers.get("content-type"), names, text, reads,
      spread_ms: deltaTimes.length ? deltaTimes[deltaTimes.length - 1] - deltaTimes[0] : 0 };
  }, token);
  console.log(JSON.stringify({ ...result, errors }));
  if (result.status !== 200 || errors.length) process.exit(1);
} finally {
  await browser.close();
}
