/* GraphiQL for /graphql, from vendored files (no CDN, no inline script). The query and variables
   are kept in the address bar so a query can be shared as a link. */
(function () {
  "use strict";
  var EXAMPLE = [
    "# 邻治 Linzhi GraphQL API。Ctrl-Enter 运行，Ctrl-Space 补全。",
    "{",
    '  gridCellByCode(code: "330482001005") {',
    "    name kindLabel households",
    "    ancestors { name }",
    "  }",
    "}",
    "",
  ].join("\n");
  var parameters = new URLSearchParams(window.location.search);

  function remember(key, value) {
    if (value) { parameters.set(key, value); } else { parameters.delete(key); }
    var search = parameters.toString();
    history.replaceState(null, "", search ? "?" + search : window.location.pathname);
  }

  var fetcher = GraphiQL.createFetcher({ url: window.location.href.split("?")[0] });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: EXAMPLE,
      query: parameters.get("q") || undefined,
      variables: parameters.get("variables") || undefined,
      onEditQuery: function (q) { remember("q", q); },
      onEditVariables: function (v) { remember("variables", v); },
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
