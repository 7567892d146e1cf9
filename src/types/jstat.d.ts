// The part of jStat (no types of its own) that src/run/sweep-stats.ts uses.
declare module "jstat" {
  const jStatModule: { jStat: { studentt: { inv(p: number, dof: number): number } } };
  export default jStatModule;
}
