// Handler logs are real but would drown the test report.
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
