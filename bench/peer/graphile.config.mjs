// PostGraphile 5.1.5 for Linzhi's benchmark (bench/peer.py): the Amber preset over the `peer`
// schema (bench/peer/schema.sql), read-only, plus one condition the q2 needs (a code
// prefix; PostGraphile's own conditions are equalities). No connection-filter plugin.
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { addPgTableCondition } from "postgraphile/utils";

// `code >= prefix AND code < next(prefix)`: the range bench/floor.py's code_range reads from the
// code index (digits only, as the town codes the benchmark uses).
const CodePrefixPlugin = addPgTableCondition(
  { schemaName: "peer", tableName: "grid_cell" },
  "codePrefix",
  (build) => ({
    description: "Cells whose code starts with these digits.",
    type: build.graphql.GraphQLString,
  }),
  (value, { sql, sqlTableAlias, sqlValueWithCodec, build }) => {
    if (value == null) return null;
    const text = build.dataplanPg.TYPES.text;
    const high = (BigInt(value) + 1n).toString().padStart(value.length, "0");
    return sql`(${sqlTableAlias}.code >= ${sqlValueWithCodec(value, text)} and ${sqlTableAlias}.code < ${sqlValueWithCodec(high, text)})`;
  },
);

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [CodePrefixPlugin],
  schema: {
    // reads only: no mutations on the views
    defaultBehavior: "-insert -update -delete",
  },
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["peer"],
      // the floor's asyncpg pool has 8 connections too
      poolConfig: { max: 8 },
    }),
  ],
  grafserv: {
    port: Number(process.env.PEER_PORT || 5678),
    host: "127.0.0.1",
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
