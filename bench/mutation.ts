/**
 * The mutation score per folder, from the last `npm run test:mutation` (StrykerJS's JSON report), with
 * the surviving mutants named: each is either killed by a test later, or listed in
 * bench/equivalent-mutants.json as equivalent (no test could tell it apart), with the reason.
 * Writes bench/mutation.md, which `npm run bench` copies into its report, and refreshes that section of
 * bench/report.md at once.
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

/**
 * A surviving mutant judged equivalent: the file, the line, the mutator, and why no test can kill it.
 * With `killedBy`, it is no equivalent but a mutant a test kills where Stryker cannot watch (the test
 * runs the code in a child process, or the code is a module constant read before the mutant is switched
 * on): checked by hand, and counted killed.
 */
export interface Equivalent {
  file: string;
  line: number;
  mutator: string;
  reason: string;
  /** The test that kills it out of Stryker's sight. */
  killedBy?: string;
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
      const named = equivalents.find((e) => e.file === file && e.line === line && e.mutator === m.mutatorName);
      const alive = m.status === "Survived" || m.status === "NoCoverage";
      if (m.status === "Killed" || m.status === "Timeout" || (alive && named?.killedBy)) score.killed++;
      else if (alive && named) score.equivalent++;
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
  const sameKind = equivalents.filter((e) => !e.killedBy);
  const outOfSight = equivalents.filter((e) => e.killedBy);
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
    sameKind.length ? "Equivalent mutants (no test can tell them apart):" : "No mutant is judged equivalent.",
    ...sameKind.map((e) => `- ${e.file}:${e.line} ${e.mutator}: ${e.reason}`),
    ...(outOfSight.length
      ? [
          "",
          "Killed where Stryker cannot watch (a child process, or a module constant read before the mutant is on; each checked by hand, counted killed):",
          ...outOfSight.map((e) => `- ${e.file}:${e.line} ${e.mutator}: ${e.reason} (${e.killedBy})`),
        ]
      : []),
    "",
    survivors.length ? `Survivors still to kill (${survivors.length}):` : "No survivor is left.",
    ...survivors.map((s) => `- ${s}`),
  ].join("\n");
}

/**
 * Every Stryker JSON report under reports/mutation/ (the whole run's, and the narrower configs' such as
 * stryker.policy.json's), merged file by file: where two reports hold the same file, the newer one's
 * mutants count.
 */
export function mergedReports(dir: string): { files: Record<string, { mutants: Mutant[] }>; newest: Date } | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const reports = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.startsWith("incremental"))
    .map((f) => ({ file: path.join(dir, f), mtime: fs.statSync(path.join(dir, f)).mtime }))
    .sort((a, b) => a.mtime.getTime() - b.mtime.getTime());
  const files: Record<string, { mutants: Mutant[] }> = {};
  for (const { file } of reports) {
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    if (report && typeof report.files === "object") Object.assign(files, report.files);
  }
  if (reports.length === 0) return undefined;
  return { files, newest: reports[reports.length - 1].mtime };
}

/**
 * The bench report with its mutation section (the last, as `npm run bench` writes it) replaced by `text`,
 * so a mutation run need not wait for the next bench to show; a report without one gets it appended.
 */
export function withMutationSection(report: string, text: string): string {
  const at = report.indexOf("\n## Mutation score\n");
  const before = at >= 0 ? report.slice(0, at) : report.replace(/\n*$/, "\n");
  return `${before}\n## Mutation score\n\n${text}\n`;
}

function main(): number {
  const merged = mergedReports(path.dirname(REPORT));
  if (!merged) {
    process.stderr.write(`error: no report in ${path.relative(ROOT, path.dirname(REPORT))}; run \`npm run test:mutation\` first\n`);
    return 2;
  }
  const equivalents: Equivalent[] = fs.existsSync(EQUIVALENTS) ? JSON.parse(fs.readFileSync(EQUIVALENTS, "utf8")) : [];
  const { folders, survivors } = scores(merged.files, equivalents);
  const text = render(folders, survivors, equivalents, merged.newest.toISOString().slice(0, 10));
  fs.writeFileSync(path.join(ROOT, "bench", "mutation.md"), text + "\n");
  const report = path.join(ROOT, "bench", "report.md");
  if (fs.existsSync(report)) fs.writeFileSync(report, withMutationSection(fs.readFileSync(report, "utf8"), text));
  process.stdout.write(text + "\n");
  return 0;
}

if (require.main === module) process.exit(main());
