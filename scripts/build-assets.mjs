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
  // The fallbacks for what DejaVu lacks: Noto Sans SC (Chinese, Japanese kana and kanji; TrueType
  // outlines, so reportlab embeds a subset in the PDF) and monochrome Noto Emoji (the share card)
  ["node_modules/@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf", "static/vendor/fonts/NotoSansSC-Regular.ttf"],
  ["node_modules/@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf", "static/vendor/fonts/NotoSansSC-Bold.ttf"],
  ["node_modules/@expo-google-fonts/noto-sans-sc/LICENSE_FONT", "static/vendor/fonts/NotoSansSC-LICENSE.txt"],
  // Korean (Hangul), which the SC font lacks
  ["node_modules/@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf", "static/vendor/fonts/NotoSansKR-Regular.ttf"],
  ["node_modules/@expo-google-fonts/noto-sans-kr/700Bold/NotoSansKR_700Bold.ttf", "static/vendor/fonts/NotoSansKR-Bold.ttf"],
  ["node_modules/@expo-google-fonts/noto-sans-kr/LICENSE_FONT", "static/vendor/fonts/NotoSansKR-LICENSE.txt"],
  ["node_modules/@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf", "static/vendor/fonts/NotoEmoji-Regular.ttf"],
  ["node_modules/@expo-google-fonts/noto-emoji/LICENSE_FONT", "static/vendor/fonts/NotoEmoji-LICENSE.txt"],
];
for (const [src, dest] of files) {
  mkdirSync(dirname(join(root, dest)), { recursive: true });
  copyFileSync(join(root, src), join(root, dest));
  console.log(`assets: ${src} -> ${dest}`);
}
