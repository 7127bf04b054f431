/**
 * Watches a program's folder for edits, for hot reload: every folder but the ones no program edits
 * (node_modules, .build, .git and the like), recursively. Changes within a short window arrive together.
 */
import * as fs from "fs";
import * as path from "path";

const IGNORED = new Set(["node_modules", ".build", ".git", "reports", ".github", "coverage"]);

export class FolderWatcher {
  private readonly watchers: fs.FSWatcher[] = [];
  private pending = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly root: string,
    private readonly onChange: (files: string[]) => void,
    /** How long to gather changes before reporting them: an editor's save is often several writes. @default 25 ms */
    private readonly settleMs = 25,
  ) {}

  start(): void {
    this.watch(this.root, false);
    for (const entry of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (entry.isDirectory() && !IGNORED.has(entry.name)) this.watch(path.join(this.root, entry.name), true);
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  private watch(dir: string, recursive: boolean): void {
    const watcher = fs.watch(dir, { recursive }, (_event, name) => {
      if (!name) return;
      const file = path.join(dir, name.toString());
      if (
        path
          .relative(this.root, file)
          .split(path.sep)
          .some((part) => IGNORED.has(part))
      )
        return;
      this.pending.add(file);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const files = [...this.pending];
        this.pending = new Set();
        this.onChange(files);
      }, this.settleMs);
    });
    watcher.on("error", () => undefined);
    this.watchers.push(watcher);
  }
}
