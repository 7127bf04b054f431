// Handler logs are real but would drown the test report.
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
