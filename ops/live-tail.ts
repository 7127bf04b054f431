/**
 * `npm run logs -- <function> --follow` against AWS: CloudWatch Logs' StartLiveTail, which streams each
 * line as it is ingested, instead of polling FilterLogEvents. A poll has to remember every event id it
 * printed (a set without bound) and can skip a line ingested after its window moved on; a live tail has
 * neither problem. A session ends after three hours (SessionTimeoutException, or the stream closing):
 * the next one starts where it ended, until the caller aborts.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, StartLiveTailCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ToolInputError } from "./target";

export interface TailedLine {
  timestamp: number;
  message: string;
  /** The log group's ARN, as the session names it. */
  logGroup: string;
}

/** The ARN StartLiveTail takes for a log group named `name` (DescribeLogGroups knows it; the name alone is not accepted). */
export async function logGroupArn(client: CloudWatchLogsClient, name: string): Promise<string> {
  const { logGroups } = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  const group = (logGroups ?? []).find((g) => g.logGroupName === name);
  // Older accounts' answers carry only `arn`, which ends in ":*"; StartLiveTail wants it without.
  const arn = group?.logGroupArn ?? group?.arn?.replace(/:\*$/, "");
  if (!arn) throw new ToolInputError(`no log group ${name} in this account and region: has the function logged yet?`);
  return arn;
}

/**
 * Streams every new line of the log groups until `signal` aborts. `filter` is a CloudWatch filter
 * pattern, as `--filter` takes it elsewhere. Resolves when aborted; rejects on a streaming error.
 */
export async function liveTail(
  client: CloudWatchLogsClient,
  logGroupArns: string[],
  filter: string | undefined,
  write: (line: TailedLine) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await client.send(
        new StartLiveTailCommand({ logGroupIdentifiers: logGroupArns, ...(filter ? { logEventFilterPattern: filter } : {}) }),
        { abortSignal: signal },
      );
      for await (const event of response.responseStream ?? []) {
        for (const line of event.sessionUpdate?.sessionResults ?? [])
          write({
            timestamp: line.timestamp ?? Date.now(),
            message: (line.message ?? "").trimEnd(),
            logGroup: line.logGroupIdentifier ?? "",
          });
      }
    } catch (err) {
      if (signal.aborted) return;
      // Three hours are up (the SDK throws the stream's exception events): a new session carries on.
      if ((err as Error).name === "SessionTimeoutException") continue;
      if ((err as Error).name === "SessionStreamingException") throw new Error(`live tail stopped: ${(err as Error).message}`);
      throw err;
    }
  }
}
