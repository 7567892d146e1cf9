// The house rule, checked by `npm run lint` (and so by CI): rooms depend downwards only, in
// this order, and no module is part of an import circle (type-only imports included). The
// order and what each room owns are described in docs/architecture.md.
const ROOMS = [
  ["cli"],
  ["run"],
  ["scenario"],
  ["compare"],
  ["traffic"],
  ["stacks"],
  ["devices"],
  ["trace"],
  ["engine"],
  ["wire", "buf"],
  ["kernels"],
  ["base"],
];

const forbidden = [
  {
    name: "no-circular",
    comment: "An import circle makes both sides one module in all but name.",
    severity: "error",
    from: {},
    to: { circular: true },
  },
  {
    name: "no-test-code-in-product",
    comment: "src/ and bench/ never import from test/.",
    severity: "error",
    from: { path: "^(src|bench)/" },
    to: { path: "^test/" },
  },
  {
    name: "root-entry-is-not-imported",
    comment: "src/index.ts is the embedders' entry; the product's own modules import the module itself.",
    severity: "error",
    from: { path: "^src/", pathNot: "^src/index\\.ts$" },
    to: { path: "^src/index\\.ts$" },
  },
  {
    name: "nothing-imports-the-cli",
    severity: "error",
    from: { path: "^src/", pathNot: "^src/cli/" },
    to: { path: "^src/cli/" },
  },
];

ROOMS.forEach((level, i) => {
  const above = ROOMS.slice(0, i).flat();
  const beside = level.length > 1 ? level : [];
  for (const room of level) {
    const banned = [...above, ...beside.filter((r) => r !== room)];
    if (banned.length === 0) continue;
    forbidden.push({
      name: `${room}-depends-downwards`,
      comment: `${room}/ may import only rooms below it: ${ROOMS.slice(i + 1).flat().join(", ") || "none"}.`,
      severity: "error",
      from: { path: `^src/${room}/` },
      to: { path: `^src/(${banned.join("|")})/` },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|build)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};
