/**
 * Unpacks a function's deployment artifact, as the graph holds it (a Pulumi AssetArchive of the
 * esbuild bundle or of the serialized closure), into a directory a container loads it from.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { LocalFunction } from "../model";

async function writeAsset(asset: any, target: string, base: string): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (pulumi.asset.Archive.isInstance(asset)) return writeArchive(asset, target, base);
  if (asset.text !== undefined) return fs.promises.writeFile(target, await asset.text);
  if (asset.path !== undefined) return fs.promises.copyFile(path.resolve(base, await asset.path), target);
  throw new Error(`an asset of unsupported kind (only string and file assets are unpacked locally): ${target}`);
}

async function writeArchive(archive: any, dir: string, base: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  if (archive.assets !== undefined) {
    const assets: Record<string, any> = await archive.assets;
    await Promise.all(Object.entries(assets).map(([name, asset]) => writeAsset(asset, path.join(dir, name), base)));
    return;
  }
  if (archive.path !== undefined) {
    const source = path.resolve(base, await archive.path);
    if (!fs.statSync(source).isDirectory()) throw new Error(`archive ${source} is a file; only directory archives are unpacked locally`);
    fs.cpSync(source, dir, { recursive: true });
    return;
  }
  throw new Error(`an archive of unsupported kind (remote archives are not fetched locally): ${dir}`);
}

/**
 * Writes `code` into `dir`, replacing what was there. Inside the program's directory, so a closure's
 * `require`s resolve; relative asset paths resolve against `programDir`, the folder the CLI runs the program in.
 */
export async function unpackArtifact(code: unknown, dir: string, programDir: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  if (!pulumi.asset.Archive.isInstance(code)) throw new Error(`the function's code is not an archive`);
  await writeArchive(code, dir, programDir);
  markModuleBoundary(dir);
  pointSourceMapsAt(dir, programDir);
}

/**
 * Unpacks a function's code into `dir`; code that is not on this machine yet (missingCode) marks the
 * function not run, saying why, where any other failure is thrown.
 */
export async function unpackFunctionCode(fn: LocalFunction, dir: string, programDir: string): Promise<void> {
  try {
    await unpackArtifact(fn.code, dir, programDir);
  } catch (err) {
    fn.notRun = missingCode(err, programDir);
    if (!fn.notRun) throw err;
  }
}

/**
 * Why a function's code cannot be unpacked when the reason is that it is not on this machine yet (a folder
 * a build step of the deploy makes, as a docker-build export does): said so the function is listed as not
 * run, rather than stop everything else. Undefined for any other failure.
 */
export function missingCode(err: unknown, programDir: string): string | undefined {
  const error = err as NodeJS.ErrnoException;
  if (error?.code !== "ENOENT" || !error.path) return undefined;
  return `its code ${path.relative(programDir, error.path) || error.path} does not exist on this machine; build it, then restart`;
}

/**
 * In Lambda, the artifact is all there is under /var/task: a `.js` file is CommonJS unless the artifact's own
 * package.json says `"type": "module"`. Unpacked inside the program's folder, Node would look further up and
 * take the program's package.json: a CommonJS handler of an ES module program ("type": "module") would fail
 * locally with "exports is not defined" and run in AWS. An artifact without a package.json of its own gets
 * one that says what Lambda assumes.
 */
function markModuleBoundary(dir: string): void {
  const manifest = path.join(dir, "package.json");
  if (fs.existsSync(manifest)) return;
  fs.writeFileSync(
    manifest,
    `${JSON.stringify({ "//": "written by the local cloud: the artifact has no package.json, so Lambda loads its .js files as CommonJS", type: "commonjs" }, null, 2)}\n`,
  );
}

/**
 * The bundle's source map names its sources relative to where it was built, the program's folder. Unpacked
 * elsewhere, those paths are made absolute, so a stack trace (and a debugger's breakpoint) lands on the
 * TypeScript file itself. Only the local copy changes; the artifact AWS gets is the graph's.
 */
function pointSourceMapsAt(dir: string, programDir: string): void {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".js.map"))) {
    const mapFile = path.join(dir, file);
    try {
      const map = JSON.parse(fs.readFileSync(mapFile, "utf8"));
      if (!Array.isArray(map.sources)) continue;
      const root = path.resolve(programDir, map.sourceRoot ?? "");
      map.sources = map.sources.map((source: string) => {
        const absolute = path.resolve(root, source);
        return fs.existsSync(absolute) ? absolute : source;
      });
      delete map.sourceRoot;
      fs.writeFileSync(mapFile, JSON.stringify(map));
    } catch {
      // A map that is not JSON is left as it is: the function runs the same without it.
    }
  }
}

/** A digest of an artifact's contents (its assets' texts, or a directory's files), to tell whether the code changed. */
export async function artifactDigest(code: unknown, programDir: string): Promise<string> {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(full).update(fs.readFileSync(full));
    }
  };
  const visit = async (item: any, name: string): Promise<void> => {
    hash.update(name);
    if (pulumi.asset.Archive.isInstance(item)) {
      if ((item as any).assets !== undefined) {
        const assets: Record<string, any> = await (item as any).assets;
        for (const key of Object.keys(assets).sort()) await visit(assets[key], `${name}/${key}`);
      } else if ((item as any).path !== undefined) {
        const source = path.resolve(programDir, await (item as any).path);
        if (fs.statSync(source).isDirectory()) walk(source);
        else hash.update(fs.readFileSync(source));
      }
    } else if (item?.text !== undefined) hash.update(await item.text);
    else if (item?.path !== undefined) hash.update(fs.readFileSync(path.resolve(programDir, await item.path)));
  };
  await visit(code, "");
  return hash.digest("hex");
}
