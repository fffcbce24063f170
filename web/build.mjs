// Build of the Regime dashboard: bundles src/main.ts (and ECharts from
// node_modules) into dist/app.js, copies index.html and app.css. Run with
// `npm ci && npm run build` (or `make web`); the Go package web embeds dist/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";

// Clean dist/ but keep the committed dist/.keep (see .gitignore).
mkdirSync("dist", { recursive: true });
for (const f of readdirSync("dist")) if (f !== ".keep") rmSync("dist/" + f, { recursive: true, force: true });
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  minify: true,
  legalComments: "linked",
  outfile: "dist/app.js",
  logLevel: "warning",
});
copyFileSync("src/index.html", "dist/index.html");
copyFileSync("src/app.css", "dist/app.css");

// The licences of the bundled packages, served next to the bundle.
const licences = [
  ["echarts", "node_modules/echarts/LICENSE"],
  ["echarts (NOTICE)", "node_modules/echarts/NOTICE"],
  ["zrender", "node_modules/zrender/LICENSE"],
  ["tslib", "node_modules/tslib/LICENSE.txt"],
];
writeFileSync("dist/THIRD_PARTY_LICENSES.txt", licences.map(([name, file]) => `==== ${name} ====\n\n${readFileSync(file, "utf8").trim()}\n`).join("\n"));
