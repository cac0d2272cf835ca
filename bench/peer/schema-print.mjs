// Prints the GraphQL schema PostGraphile builds (to check the names the documents use).
import { printSchema } from "postgraphile/graphql";
import { makeSchema } from "postgraphile";
import preset from "./graphile.config.mjs";
const { schema } = await makeSchema(preset);
console.log(printSchema(schema));
process.exit(0);
