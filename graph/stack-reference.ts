/**
 * Stack references, resolved offline the way everything else here is: by capturing the referenced
 * program with that stack's config, the same one-graph mechanism, so no output is hand-faked. The
 * referenced project is found by its name in Pulumi.yaml, in the program's folder, a folder inside
 * it, or a folder beside it (`baseline/` for the account baseline). Each capture runs in a child
 * process, because the Pulumi runtime allows one program per process, and is kept for the run.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/** A reference that cannot be resolved, or an output the program requires that the stack lacks: bad input, exit 2. */
export class StackReferenceError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "StackReferenceError";
  }
}

export interface ResolvedReference {
  /** The referenced program's folder and stack, for messages and commands. */
  programDir: string;
  stack: string;
  outputs: Record<string, unknown>;
  secretOutputNames: string[];
}

/** The project and stack a reference names: `org/project/stack`, `project/stack`, or a stack of the current project. */
export function parseReference(name: string, currentProject: string): { project: string; stack: string } {
  const parts = name.split("/");
  return { project: parts.length >= 2 ? parts[parts.length - 2] : currentProject, stack: parts[parts.length - 1] };
}

function projectName(dir: string): string | undefined {
  const file = path.join(dir, "Pulumi.yaml");
  if (!fs.existsSync(file)) return undefined;
  try {
    return parse(fs.readFileSync(file, "utf8"))?.name;
  } catch {
    return undefined;
  }
}

const SKIP = new Set(["node_modules", ".build", ".git", "reports"]);

/**
 * The folder of the project named `project`: this one, one inside it, or one inside any folder above it
 * (up to the repository's root), so an application in examples/app finds baseline/ at the root.
 */
export function findProject(programDir: string, project: string): string | undefined {
  const children = (parent: string) =>
    fs
      .readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !SKIP.has(e.name))
      .map((e) => path.join(parent, e.name));
  let dir = path.resolve(programDir);
  const candidates = [dir, ...children(dir)];
  for (;;) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    candidates.push(...children(parent));
    if (fs.existsSync(path.join(parent, ".git")) || fs.existsSync(path.join(parent, "package-lock.json"))) break;
    dir = parent;
  }
  return candidates.find((d) => projectName(d) === project);
}

/** The command that creates and deploys a referenced stack, for messages. */
export function deployCommand(programDir: string, referencedDir: string, stack: string): string {
  const relative = path.relative(programDir, referencedDir) || ".";
  return `pulumi stack init ${stack} -C ${relative} && pulumi up -C ${relative} -s ${stack}`;
}

const cache: Map<string, Promise<ResolvedReference>> = ((globalThis as Record<string, unknown>).__platformStackReferences as Map<
  string,
  Promise<ResolvedReference>
>) ?? ((globalThis as Record<string, unknown>).__platformStackReferences = new Map());

/** Resolves `name` from the program in `programDir`, capturing the referenced stack once per run. */
export function resolveReference(programDir: string, currentProject: string, name: string): Promise<ResolvedReference> {
  const { project, stack } = parseReference(name, currentProject);
  const dir = findProject(programDir, project);
  if (!dir) {
    return Promise.reject(
      new StackReferenceError([
        `stack reference "${name}": no Pulumi project named "${project}" in ${programDir}, inside it or beside it, to read its outputs from`,
      ]),
    );
  }
  if (!fs.existsSync(path.join(dir, `Pulumi.${stack}.yaml`))) {
    return Promise.reject(
      new StackReferenceError([
        `stack reference "${name}": the stack ${project}/${stack} does not exist (no ${path.relative(programDir, path.join(dir, `Pulumi.${stack}.yaml`))}); create it with: ${deployCommand(programDir, dir, stack)}`,
      ]),
    );
  }
  const key = `${dir}\0${stack}`;
  if (!cache.has(key)) cache.set(key, captureOutputs(dir, stack));
  return cache.get(key)!;
}

function captureOutputs(programDir: string, stack: string): Promise<ResolvedReference> {
  const cli = path.join(__dirname, "outputs-cli.ts");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["-r", require.resolve("ts-node/register/transpile-only"), cli, programDir, stack],
      { cwd: programDir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: "" } },
      (err, stdout, stderr) => {
        if (err)
          return reject(
            new StackReferenceError([
              `the referenced stack ${path.basename(programDir)}/${stack} could not be captured: ${stderr.trim() || err.message}`,
            ]),
          );
        const { outputs, secretOutputNames } = JSON.parse(stdout);
        resolve({ programDir, stack, outputs, secretOutputNames });
      },
    );
  });
}
