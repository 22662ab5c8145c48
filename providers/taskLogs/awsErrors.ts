/** The SDK's error name (`ThrottlingException`, `ResourceNotFoundException`, ...), or "" for anything else. */
export const errorName = (error: unknown): string => (error as { name?: string } | undefined)?.name ?? "";
