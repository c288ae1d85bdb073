// The HTML report in headless Chromium (Debian's chromium, driven by puppeteer-core): it renders without console
// errors or network requests, and its heatmap has one cell per sweep point. The screenshot is kept in
// test/.artifacts/report.png.

import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportHtml } from "../bin/report.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { Model } from "../runtime/model.js";
import { expectNoErrors } from "./support/compile.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.resolve(import.meta.dirname, ".artifacts");
const SOURCE = `model "stories260K"
prompt clean = "Once upon a time, there was a little girl named Lily. She"
prompt corrupt = "Once upon a time, there was a little boy named Tom. He"
sweep l in 0..5
sweep p in [-4, -3, -2, -1]
patch resid[L=l, pos=p] from clean into corrupt
measure d = logit_diff(" She", " He") of corrupt
generate 4 from corrupt
`;

let model: Model;
let html: string;
beforeAll(async () => {
  model = await Model.load({ kind: "bundled", name: "stories260K" });
  const plan = expectNoErrors(SOURCE);
  const result = await runPlanOnModel(plan, model);
  html = reportHtml({ source: { name: "grid.ptch", text: SOURCE }, plan, result, measure: "d" });
});
afterAll(() => model.dispose());

describe("the report", () => {
  it("is self-contained: no scripts, no links or images from elsewhere", () => {
    expect(html).not.toMatch(/<script|<link|\bsrc=|url\(|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("renders in headless Chromium without errors, one heatmap cell per point, token pieces on the position axis", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, "report.html");
    await writeFile(file, html);
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(String(error)));
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) problems.push(`request for ${request.url()}`);
      });
      await page.goto(`file://${file}`, { waitUntil: "load" });
      expect(await page.$$eval("svg.heatmap rect.cell", (cells) => cells.length)).toBe(6 * 4);
      const labels = await page.$$eval("svg.heatmap text", (texts) => texts.map((t) => t.textContent));
      expect(labels).toContain("-1 ▁He");
      expect(await page.$$eval("span.tok.hit", (tokens) => tokens.length)).toBe(24);
      await page.screenshot({ path: path.join(ARTIFACTS, "report.png"), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
