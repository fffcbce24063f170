// Build of the Regime dashboard: bundles src/main.ts (and ECharts from
// node_modules) into dist/app.js, copies index.html and app.css. Run with
// `npm ci && npm run build` (or `make web`); the Go package web embeds dist/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";

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
