// Copies the pinned front-end packages from node_modules into static/vendor/ (served by Flask; no CDN).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const files = [
  ["node_modules/htmx.org/dist/htmx.min.js", "static/vendor/htmx.min.js"],
  ["node_modules/@picocss/pico/css/pico.min.css", "static/vendor/pico.min.css"],
  // PDF report fonts (app/reports/pdf.py): DejaVu Sans covers Latin, Greek, Cyrillic, Arabic, Hebrew
  ["node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf", "static/vendor/fonts/DejaVuSans.ttf"],
  ["node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf", "static/vendor/fonts/DejaVuSans-Bold.ttf"],
  ["node_modules/dejavu-fonts-ttf/LICENSE", "static/vendor/fonts/DejaVu-LICENSE.txt"],
];
for (const [src, dest] of files) {
  mkdirSync(dirname(join(root, dest)), { recursive: true });
  copyFileSync(join(root, src), join(root, dest));
  console.log(`assets: ${src} -> ${dest}`);
}
