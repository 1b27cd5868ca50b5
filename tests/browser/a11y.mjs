// axe-core (pinned in package.json) run inside the page: every view must have no violation of
// the WCAG 2.1 A and AA rules. The page's CSP allows no inline script, so axe is evaluated
// through the DevTools protocol (playwright's `evaluate`), which the CSP does not govern.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** The WCAG 2.1 A/AA violations on the page now, one line each (empty when there are none). */
export async function accessibilityViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const results = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return results.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  }, TAGS);
  return violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.join(", ")}`);
}
