/** The stand-ins' own module in type tokens, `pulumi-nodejs:dynamic/mwaa-migration-local:<Type>`. */
export const STANDIN_MODULE = "mwaa-migration-local";
