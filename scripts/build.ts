/** `npm run build`: bundles every handler in functions/ the way deploys do, into .build/functions/<name>/, and prints sizes. */
import * as fs from "fs";
import * as path from "path";
import { bundleHandler } from "../components/bundle";

const root = path.resolve(__dirname, "..");
const entries = fs.readdirSync(path.join(root, "functions")).filter((f) => f.endsWith(".ts"));
for (const file of entries) {
  const bundle = bundleHandler(path.join(root, "functions", file));
  const out = path.join(root, ".build", "functions", path.basename(file, ".ts"));
  fs.mkdirSync(out, { recursive: true });
  for (const [name, text] of Object.entries(bundle.files)) fs.writeFileSync(path.join(out, name), text);
  console.log(
    `${path.basename(file, ".ts").padEnd(14)} ${String(Buffer.byteLength(bundle.files["index.js"])).padStart(8)} bytes  ${bundle.hash.slice(0, 12)}`,
  );
}
