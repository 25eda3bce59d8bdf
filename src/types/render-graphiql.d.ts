// The package's own typings for this subpath sit behind "exports", which moduleResolution "node"
// does not read; these are the same declarations (typings/graphiql.d.cts of the package).
declare module '@graphql-yoga/render-graphiql/graphiql' {
  export const js: string;
  export const css: string;
  export const favicon: string;
  export const editorWorkerService: string;
  export const jsonWorker: string;
  export const graphqlWorker: string;
}
