/**
 * The mutation score per folder, from the last `npm run test:mutation` (StrykerJS's JSON report), with
 * the surviving mutants named: each is either killed by a test later, or listed in
 * bench/equivalent-mutants.json as equivalent (no test could tell it apart), with the reason.
 * Writes bench/mutation.md, which `npm run bench` copies into its report.
 */
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const REPORT = path.join(ROOT, "reports", "mutation", "mutation.json");
const EQUIVALENTS = path.join(ROOT, "bench", "equivalent-mutants.json");

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";
  location: { start: { line: number; column: number } };
}

/** A surviving mutant judged equivalent: the file, the line, the mutator, and why no test can kill it. */
export interface Equivalent {
  file: string;
  line: number;
  mutator: string;
  reason: string;
}

export interface FolderScore {
  folder: string;
  killed: number;
  survived: number;
  noCoverage: number;
  equivalent: number;
  /** Killed (and timed out) over every mutant that compiled, equivalents left out. */
  score: number;
}

/** The folder a file is scored under: functions/, policy/, components/, local/, ops/. */
const folderOf = (file: string) => file.split("/")[0] + "/";

export function scores(
  files: Record<string, { mutants: Mutant[] }>,
  equivalents: Equivalent[],
): { folders: FolderScore[]; survivors: string[] } {
  const byFolder = new Map<string, FolderScore>();
  const survivors: string[] = [];
  for (const [file, { mutants }] of Object.entries(files)) {
    const folder = folderOf(file);
    const score = byFolder.get(folder) ?? { folder, killed: 0, survived: 0, noCoverage: 0, equivalent: 0, score: 0 };
    for (const m of mutants) {
      const line = m.location.start.line;
      const isEquivalent = equivalents.some((e) => e.file === file && e.line === line && e.mutator === m.mutatorName);
      if (m.status === "Killed" || m.status === "Timeout") score.killed++;
      else if (isEquivalent && (m.status === "Survived" || m.status === "NoCoverage")) score.equivalent++;
      else if (m.status === "Survived") {
        score.survived++;
        survivors.push(`${file}:${line} ${m.mutatorName}${m.replacement ? ` → ${m.replacement.split("\n")[0].slice(0, 60)}` : ""}`);
      } else if (m.status === "NoCoverage") {
        score.noCoverage++;
        survivors.push(`${file}:${line} ${m.mutatorName} (no test covers it)`);
      }
    }
    byFolder.set(folder, score);
  }
  const folders = [...byFolder.values()].map((f) => ({ ...f, score: f.killed / Math.max(1, f.killed + f.survived + f.noCoverage) }));
  return { folders: folders.sort((a, b) => a.folder.localeCompare(b.folder)), survivors };
}

/** The goal per folder: 85% where the platform's logic and rules live, 75% elsewhere. */
export const GOALS: Record<string, number> = { "functions/": 0.85, "policy/": 0.85 };
const goalOf = (folder: string) => GOALS[folder] ?? 0.75;

export function render(folders: FolderScore[], survivors: string[], equivalents: Equivalent[], when: string): string {
  return [
    `Mutation testing (StrykerJS, \`npm run test:mutation\`, ${when}): killed over every mutant that compiled, equivalent mutants left out.`,
    "",
    "| folder | killed | survived | no coverage | equivalent | score | goal |",
    "|---|---|---|---|---|---|---|",
    ...folders.map(
      (f) =>
        `| ${f.folder} | ${f.killed} | ${f.survived} | ${f.noCoverage} | ${f.equivalent} | ${(f.score * 100).toFixed(1)}% | ${(goalOf(f.folder) * 100).toFixed(0)}%${f.score >= goalOf(f.folder) ? "" : " (missed)"} |`,
    ),
    "",
    equivalents.length ? "Equivalent mutants (no test can tell them apart):" : "No mutant is judged equivalent.",
    ...equivalents.map((e) => `- ${e.file}:${e.line} ${e.mutator}: ${e.reason}`),
    "",
    survivors.length ? `Survivors still to kill (${survivors.length}):` : "No survivor is left.",
    ...survivors.map((s) => `- ${s}`),
  ].join("\n");
}

function main(): number {
  if (!fs.existsSync(REPORT)) {
    process.stderr.write(`error: no ${path.relative(ROOT, REPORT)}; run \`npm run test:mutation\` first\n`);
    return 2;
  }
  const report = JSON.parse(fs.readFileSync(REPORT, "utf8"));
  const equivalents: Equivalent[] = fs.existsSync(EQUIVALENTS) ? JSON.parse(fs.readFileSync(EQUIVALENTS, "utf8")) : [];
  const { folders, survivors } = scores(report.files, equivalents);
  const text = render(folders, survivors, equivalents, fs.statSync(REPORT).mtime.toISOString().slice(0, 10));
  fs.writeFileSync(path.join(ROOT, "bench", "mutation.md"), text + "\n");
  process.stdout.write(text + "\n");
  return 0;
}

if (require.main === module) process.exit(main());
