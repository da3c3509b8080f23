// The hub's GraphiQL page: mount GraphiQL (vendored UMD build) against the hub's endpoint and
// switch the header help between Chinese and English. Loads nothing from anywhere else.
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = (script && script.dataset.endpoint) || "/graphql";
  var example = JSON.stringify({
    "Authorization": "Bearer <API key from hub demo / .hub/demo.json>",
    "X-Hub-Purpose": "IPO_COMPLIANCE"
  }, null, 2);
  var query = [
    "# 1. Headers (below): your API key.  2. ⟳ (left): load the schema.",
    "# 1. 在下方 Headers 填写 API 密钥；2. 点左侧 ⟳ 载入 schema。",
    "{",
    "  sources { name department domain enabled }",
    "}",
    ""
  ].join("\n");

  var help = document.getElementById("hub-help");
  var toggle = document.getElementById("hub-lang");
  toggle.addEventListener("click", function () {
    var english = help.dataset.lang === "zh";
    help.dataset.lang = english ? "en" : "zh";
    document.documentElement.lang = english ? "en" : "zh-CN";
    toggle.textContent = english ? "中文" : "English";
  });

  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: query,
    defaultHeaders: example,
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false
  }));
})();
