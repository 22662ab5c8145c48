export * from "./batching";
export * from "./copy";
export * from "./streamNames";
export * from "./tokenBucket";
