"""GraphiQL for the demo, served whole by the hub: no CDN, so it works on a closed network.

The page loads GraphiQL, React and ReactDOM (UMD builds vendored from the npm registry by
`scripts/vendor-graphiql.sh`, versions and digests in `hub/static/graphiql/vendor.json`) and the
hub's own script and style, all from `/graphiql/…` on the hub itself. Above the editor it says
which headers to set (Authorization, X-Hub-Purpose, X-Hub-Consent, X-Hub-Operator, X-Hub-Case),
in Chinese with an English switch; it never carries an API key.
"""

from __future__ import annotations

from starlette.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "graphiql_assets", "graphiql_page"]

ASSETS_PATH = "/graphiql"

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>一件事数据共享核验中枢 · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/graphiql.min.css">
<link rel="stylesheet" href="{assets}/hub-graphiql.css">
</head>
<body>
<header id="hub-help" data-lang="zh">
  <div class="hub-title">
    <strong>一件事数据共享核验中枢 One-Thing Hub</strong> · GraphiQL（演示模式 demo mode）
    <button type="button" id="hub-lang" aria-label="switch language">English</button>
  </div>
  <details open>
    <summary><span class="zh">请求头：在下方 “Headers” 标签中以 JSON 填写</span><span class="en">Request
      headers: fill them in as JSON under the “Headers” tab below</span></summary>
    <table>
      <tr><td><code>Authorization: Bearer &lt;API key&gt;</code></td>
        <td><span class="zh">必填。调用方的 API 密钥：<code>hub demo</code> 启动时打印，也在
          <code>.hub/demo.json</code> 中。填好后点击左侧 ⟳（重新获取 schema）或按 Shift+Ctrl+R。</span>
          <span class="en">Required. The caller's API key: printed by <code>hub demo</code> and kept
          in <code>.hub/demo.json</code>. Then press ⟳ on the left (re-fetch the schema) or
          Shift+Ctrl+R.</span></td></tr>
      <tr><td><code>X-Hub-Purpose: &lt;matter&gt;</code></td>
        <td><span class="zh">数据查询必填：本次请求的事项，如 <code>IPO_COMPLIANCE</code>（xzsp、fgw）、
          <code>BANKRUPTCY</code>（court）、<code>SCHOOL_ENROLMENT</code>（portal）。</span>
          <span class="en">Required for data queries: the registered matter this request serves,
          e.g. <code>IPO_COMPLIANCE</code> (xzsp, fgw), <code>BANKRUPTCY</code> (court),
          <code>SCHOOL_ENROLMENT</code> (portal).</span></td></tr>
      <tr><td><code>X-Hub-Consent: &lt;consent id&gt;</code></td>
        <td><span class="zh">个人数据需要：申请人授权的编号（<code>grantConsent</code> 返回），可用逗号分隔多个。</span>
          <span class="en">For person data: the applicant's consent id(s) (returned by
          <code>grantConsent</code>), comma-separated.</span></td></tr>
      <tr><td><code>X-Hub-Operator</code>, <code>X-Hub-Case</code></td>
        <td><span class="zh">可选：经办人和办件编号，记入审计日志。</span>
          <span class="en">Optional: the operator and the case number, recorded in the audit
          log.</span></td></tr>
      <tr><td><code>X-Request-Id</code></td>
        <td><span class="zh">可选：原样返回；缺省时由中枢生成。</span>
          <span class="en">Optional: echoed back; generated when absent.</span></td></tr>
    </table>
  </details>
</header>
<main id="graphiql"><p class="hub-loading">Loading GraphiQL…</p></main>
<script src="{assets}/react.production.min.js"></script>
<script src="{assets}/react-dom.production.min.js"></script>
<script src="{assets}/graphiql.min.js"></script>
<script src="{assets}/hub-graphiql.js" data-endpoint="{endpoint}"></script>
</body>
</html>
"""


def graphiql_page(endpoint: str = "/graphql") -> str:
    """The GraphiQL page; every asset it names is on the hub itself, under `ASSETS_PATH`."""
    return _PAGE.replace("{assets}", ASSETS_PATH).replace("{endpoint}", endpoint)


def graphiql_assets() -> StaticFiles:
    """The page's scripts and styles, from the installed package (`hub/static/graphiql`)."""
    return StaticFiles(packages=[("hub", "static/graphiql")])
