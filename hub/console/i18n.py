"""The console's words, in Chinese (the default) and English.

One table of (Chinese, English) pairs; `Translator(lang)` picks one and fills `{placeholders}`.
A key missing from the table is a programming error and raises, so a page never shows a key.
Rules are explained here in words with their thresholds (`rule.*.explain`) and each flag says
what was found (`rule.*.found`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

__all__ = ["LANGS", "MESSAGES", "Lang", "Translator", "lang_of"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

MESSAGES: Mapping[str, tuple[str, str]] = {
    "app": ("数据共享审计监督台", "Data-sharing audit console"),
    "nav.dashboard": ("总览", "Overview"),
    "nav.search": ("检索日志", "Search the log"),
    "nav.flags": ("异常提示", "What looks wrong"),
    "nav.integrity": ("日志完整性", "Log integrity"),
    "signout": ("退出", "Sign out"),
    "session.until": ("会话至 {time}", "session until {time}"),
    "footer.audited": ("本页的每次浏览与导出均记入审计日志。", "Every view and export of this "
                       "console is recorded in the audit log."),
    "lang.switch": ("English", "中文"),
    # sign-in
    "signin.title": ("审计人员登录", "Auditor sign-in"),
    "signin.intro": ("使用审计机构的 API 密钥登录。密钥只用于换取一个短时会话，不会保存在浏览器中。",
                     "Sign in with your audit office's API key. The key is exchanged for a "
                     "short session and is not kept in the browser."),
    "signin.key": ("API 密钥", "API key"),
    "signin.operator": ("本人工号", "Your staff ID"),
    "signin.operator.hint": ("记入每条审计记录（操作人）", "recorded in every audit entry "
                             "(operator)"),
    "signin.case": ("核查事项编号（可选）", "Investigation number (optional)"),
    "signin.submit": ("登录", "Sign in"),
    "signin.bad_key": ("API 密钥不正确。", "The API key is not known to this hub."),
    "signin.not_auditor": ("此密钥属于「{caller}」，不是审计机构：控制台只对审计人员开放。",
                           "This key belongs to {caller}, which is not an auditor: the console "
                           "is for auditors only."),
    "signin.bad_operator": ("工号须为 1–128 个字母、数字或 . _ : -", "The staff ID must be 1-128 "
                            "letters, digits or . _ : -"),
    "signin.bad_case": ("核查事项编号最多 64 个字符，不能含控制字符。", "The investigation number "
                        "takes up to 64 characters and no control characters."),
    "signin.expired": ("会话已结束，请重新登录。", "Your session has ended; sign in again."),
    # errors
    "error.title": ("无法完成请求", "The request could not be completed"),
    "error.request_id": ("请求编号", "Request id"),
    "error.csrf": ("表单已过期或不是从本控制台提交的，请刷新页面后重试。", "The form has expired or "
                   "was not sent from this console; reload the page and try again."),
    "error.session": ("请先登录。", "Sign in first."),
    "error.audit": ("审计日志暂时无法写入，为保证可追溯，本次未显示任何数据，请稍后重试。",
                    "The audit log cannot be written just now; nothing was shown, so that "
                    "nothing goes unrecorded. Try again later."),
    "error.not_found": ("没有这条记录。", "There is no such entry."),
    "error.back": ("返回", "Back"),
    # search
    "search.title": ("检索审计日志", "Search the audit log"),
    "f.caller": ("调用方（部门）", "Caller (department)"),
    "f.operator": ("操作人", "Operator"),
    "f.subject": ("主体", "Subject"),
    "f.subject.hint": ("居民身份证号或统一社会信用代码，按假名匹配，不保存明文",
                       "a resident ID or a USCC; matched by pseudonym, never stored in clear"),
    "f.subject.current": ("当前主体：{label}", "Current subject: {label}"),
    "f.subject.clear": ("清除", "clear"),
    "f.purpose": ("用途（事项）", "Purpose (matter)"),
    "f.consent": ("授权编号", "Consent id"),
    "f.case": ("办件编号", "Case number"),
    "f.outcome": ("结果", "Outcome"),
    "f.since": ("起始时间", "From"),
    "f.until": ("截止时间", "Until"),
    "f.application": ("申请编号", "Application id"),
    "f.job": ("批量任务编号", "Batch job id"),
    "f.not_logged": ("日志尚未记录此项：字段已预留，记录后即可检索",
                     "not in the log yet: the field is ready and will match once recorded"),
    "f.any": ("（全部）", "(any)"),
    "f.none": ("（无）", "(none)"),
    "err.token": ("须为 1–128 个字母、数字或 . _ : -", "1-128 letters, digits or . _ : -"),
    "err.time": ("「{value}」不是有效的时间，例如 2026-11-03T09:30", "{value!r} is not a time such "
                 "as 2026-11-03T09:30"),
    "err.kept": ("保留的主体条件已损坏，请重新输入", "the kept subject is malformed; type it again"),
    "err.subject": ("既不是统一社会信用代码，也不是居民身份证号（{detail}）", "neither a USCC nor a "
                    "resident ID ({detail})"),
    "err.caller": ("「{value}」不是本中枢的调用方", "{value!r} is not a caller of this hub"),
    "err.purpose": ("须为事项代码，例如 SCHOOL_ENROLMENT", "a matter code such as "
                    "SCHOOL_ENROLMENT"),
    "err.outcome": ("须为 {values} 之一", "one of {values}"),
    "err.case": ("最多 128 个字符，不能含控制字符", "up to 128 characters, no control characters"),
    "err.order": ("截止时间不能早于起始时间", "must not be before the start"),
    "search.submit": ("检索", "Search"),
    "search.reset": ("清空条件", "Clear"),
    "search.total": ("共 {total} 条，按时间倒序", "{total} entries, newest first"),
    "search.empty": ("没有符合条件的记录。", "No entry matches."),
    "search.next": ("下一页", "Next page"),
    "search.first": ("第一页", "First page"),
    "search.export_csv": ("导出 CSV", "Export CSV"),
    "search.export_signed": ("导出签名证据包（含证明）", "Export signed evidence (with proofs)"),
    "search.export_note": ("导出当前条件下的全部记录（最多 {max} 条）。", "Exports every entry "
                           "matching the current filter (at most {max})."),
    "search.too_many": ("符合条件的记录有 {count} 条，超过单次导出上限 {max} 条，请缩小条件。",
                        "{count} entries match, more than the {max} one export may hold; "
                        "narrow the filter."),
    "col.seq": ("序号", "Seq"),
    "col.time": ("时间", "Time"),
    "col.caller": ("调用方", "Caller"),
    "col.operator": ("操作人", "Operator"),
    "col.purpose": ("用途", "Purpose"),
    "col.case": ("办件编号", "Case"),
    "col.outcome": ("结果", "Outcome"),
    "col.subjects": ("主体数", "Subjects"),
    "col.released": ("提供字段", "Released"),
    "col.denied": ("拒绝", "Denied"),
    "outcome.ALLOWED": ("允许", "allowed"),
    "outcome.PARTIAL": ("部分", "partial"),
    "outcome.DENIED": ("拒绝", "denied"),
    "outcome.FAILED": ("失败", "failed"),
    # entry
    "entry.title": ("审计记录 #{seq}", "Audit entry #{seq}"),
    "entry.request": ("请求编号", "Request id"),
    "entry.legal_basis": ("法律依据", "Legal basis"),
    "entry.query_hash": ("查询摘要", "Query hash"),
    "entry.released": ("已提供的字段路径", "Paths released"),
    "entry.denied": ("被拒绝或未取得的字段路径", "Paths denied or not obtained"),
    "entry.code": ("代码", "Code"),
    "entry.path": ("路径", "Path"),
    "entry.sources": ("调用的部门接口", "Department sources called"),
    "entry.source": ("接口", "Source"),
    "entry.status": ("状态", "Status"),
    "entry.latency": ("耗时 (ms)", "Latency (ms)"),
    "entry.keys": ("主体数", "Keys"),
    "entry.consents": ("出示或依据的授权", "Consents presented or relied on"),
    "entry.subjects": ("涉及主体（假名或信用代码）", "Subjects (pseudonyms or USCCs)"),
    "entry.requests": ("此记录合并了 {n} 个被拒绝的请求", "This entry stands for {n} refused "
                       "requests"),
    "entry.nothing": ("（无）", "(none)"),
    "proof.title": ("存在性证明（RFC 9162）", "Inclusion proof (RFC 9162)"),
    "proof.checkpoint": ("共 {size} 条，签于 {time}", "{size} entries, signed at {time}"),
    "proof.root": ("默克尔根", "Merkle root"),
    "proof.key": ("签名密钥", "Signing key"),
    "proof.entry_hash": ("记录哈希", "Entry hash"),
    "proof.prev_hash": ("前一条记录哈希", "Previous entry's hash"),
    "proof.path": ("证明路径（{n} 个哈希）", "Proof path ({n} hashes)"),
    "proof.server_ok": ("服务器核验：通过——记录内容与哈希一致，且包含在已签名的日志中。",
                        "Checked by the hub: the entry matches its hash and is in the signed "
                        "log."),
    "proof.server_bad": ("服务器核验：未通过——{detail}", "Checked by the hub: FAILED — {detail}"),
    "proof.uncovered": ("此记录晚于最新检查点，尚无证明；下一个检查点签发后即可验证。",
                        "This entry is newer than the latest checkpoint and has no proof yet; it "
                        "can be checked once the next checkpoint is signed."),
    "proof.browser_pending": ("浏览器核验中……", "Checking in your browser…"),
    "proof.browser_ok": ("浏览器独立核验：通过（SHA-256 重算记录哈希与默克尔路径，Ed25519 验证检查点签名）",
                         "Checked independently in your browser: verified (SHA-256 over the "
                         "entry and its Merkle path, Ed25519 over the checkpoint)"),
    "proof.browser_bad": ("浏览器独立核验：未通过——", "Checked independently in your browser: "
                          "FAILED — "),
    "proof.browser_unavailable": ("此浏览器无法核验（需要 HTTPS 或支持 Ed25519 的浏览器）。",
                                  "This browser cannot check (it needs HTTPS and Ed25519 "
                                  "support)."),
    # dashboard
    "dash.title": ("总览", "Overview"),
    "dash.window": ("统计区间：最近 {days} 天（{since} 至 {until}）", "Window: the last {days} days "
                    "({since} to {until})"),
    "dash.days": ("{days} 天", "{days} days"),
    "dash.entries": ("审计记录", "Audit entries"),
    "dash.requests": ("请求", "Requests"),
    "dash.denials": ("拒绝", "Denials"),
    "dash.open_flags": ("待复核提示", "Flags to review"),
    "dash.capped": ("区间内记录超过 {max} 条，统计只含最新的 {max} 条。", "The window holds more "
                    "than {max} entries; only the newest {max} are counted."),
    "chart.by_caller": ("各部门访问量", "Accesses by department"),
    "chart.by_purpose": ("各用途访问量", "Accesses by purpose"),
    "chart.denials": ("拒绝原因", "Denials by code"),
    "chart.matrix": ("部门 × 用途", "Department × purpose"),
    "chart.availability": ("接口可用率（%）", "Source availability (%)"),
    "chart.latency": ("接口耗时 P95（毫秒）", "Source latency p95 (ms)"),
    "chart.no_data": ("暂无数据", "No data"),
    "chart.count": ("次数", "count"),
    "dash.top_flags": ("最新异常提示", "Newest flags"),
    "dash.all_flags": ("查看全部", "See all"),
    # integrity
    "int.title": ("日志完整性", "Log integrity"),
    "int.size": ("日志条数", "Entries in the log"),
    "int.checkpoint": ("最新签名检查点", "Latest signed checkpoint"),
    "int.checkpoint_none": ("尚未签发检查点", "No checkpoint signed yet"),
    "int.checkpoint_at": ("共 {size} 条 · 签于 {time}", "{size} entries · signed at {time}"),
    "int.signature_ok": ("签名有效", "signature valid"),
    "int.signature_bad": ("签名无效", "signature INVALID"),
    "int.uncovered": ("尚未被检查点覆盖的记录", "Entries not yet covered by a checkpoint"),
    "int.uncovered_note": ("最新的记录已链接但尚未签名；下一个检查点签发前，删除它们无法被发现。",
                           "The newest entries are chained but not yet signed; until the next "
                           "checkpoint their removal could not be detected."),
    "int.chain": ("哈希链状态", "Chain status"),
    "int.never": ("本次运行尚未全量核验", "Not yet verified since the hub started"),
    "int.ok": ("完整：{size} 条记录均与哈希链及签名检查点一致（核验于 {time}）",
               "Intact: all {size} entries match the chain and the signed checkpoints (verified "
               "at {time})"),
    "int.bad": ("已被篡改：第一条有问题的记录是 #{seq}——{detail}（核验于 {time}）",
                "TAMPERED: the first bad entry is #{seq} — {detail} (verified at {time})"),
    "int.bad_noseq": ("核验未通过：{detail}（核验于 {time}）", "Verification FAILED: {detail} "
                      "(verified at {time})"),
    "int.verify": ("立即全量核验", "Verify the whole log now"),
    "int.run": ("核验由谁、在哪里运行", "Verified by, and where"),
    "int.run_by": ("{who}，{how}，于 {time}，在工作进程 {worker}（{started} 启动）中运行。"
                   "结果只属于这个工作进程：其他工作进程各自保留自己的结果；按“立即全量核验”重新核验。",
                   "{who}, {how}, at {time}, in hub worker {worker} (started {started}). The "
                   "result is this worker's own: other workers keep theirs; press “Verify the "
                   "whole log now” to check again."),
    "int.auto": ("打开总览或本页时自动运行（本工作进程此前未核验）", "run automatically on "
                 "opening the overview or this page (not yet verified in this worker)"),
    "int.button": ("按下核验按钮", "by the verify button"),
    "int.worker": ("本工作进程 {worker}（{started} 启动）尚未全量核验", "Not yet verified in "
                   "this hub worker, {worker} (started {started})"),
    "int.head": ("链头哈希", "Chain head"),
    # flags
    "flags.title": ("异常提示", "What looks wrong"),
    "flags.rules": ("规则说明", "The rules"),
    "flags.off": ("（已关闭）", "(switched off)"),
    "flags.none": ("区间内没有异常提示。", "Nothing looks wrong in this window."),
    "flags.rule": ("规则", "Rule"),
    "flags.about": ("对象", "Concerns"),
    "flags.period": ("时间", "When"),
    "flags.entries": ("记录", "Entries"),
    "flags.status": ("复核", "Review"),
    "flags.open": ("待复核", "to review"),
    "flags.reviewed": ("已复核", "reviewed"),
    "flags.grown": ("复核后新增 {count} 条", "{count} new since the review"),
    "flags.reviewed_by": ("{who} 于 {time} 复核：{note}", "Reviewed by {who} at {time}: {note}"),
    "flags.detail": ("提示详情", "Flag"),
    "flags.found": ("发现", "Finding"),
    "flags.history": ("复核记录", "Reviews"),
    "flags.note": ("复核意见", "Review note"),
    "flags.note.hint": ("说明核实情况，例如：已与该部门核实，属正常业务。", "Say what you found, "
                        "e.g. checked with the department: regular business."),
    "flags.mark": ("标记为已复核", "Mark reviewed"),
    "flags.gone": ("此提示不在当前统计区间内（或已不再成立）。", "This flag is not in the current "
                   "window (or no longer holds)."),
    "flags.bad_note": ("复核意见须填写，最多 2000 字。", "Write a review note of up to 2000 "
                       "characters."),
    "flags.holidays_stale": ("节假日数据未覆盖 {years} 年，这些年份只按周末和固定日期的节日（元旦、劳动节、国庆节）"
                             "判断休息日，请更新节假日文件。",
                             "The holiday calendar does not cover {years}; those years count "
                             "only weekends and the fixed-date holidays (New Year's Day, 1-2 "
                             "May, 1-3 October) as rest days. Update the holidays file."),
    "rule.fishing.name": ("撒网式查询", "Fishing expedition"),
    "rule.fishing.explain": ("同一操作人在 {minutes} 分钟内接触 {threshold} 个或更多不同主体{persons}："
                             "可能是在没有具体办件的情况下批量翻查。",
                             "One operator touches {threshold} or more distinct subjects{persons} "
                             "within {minutes} minutes: possibly browsing without a case."),
    "rule.fishing.persons": ("（只计个人）", " (persons only)"),
    "rule.fishing.found": ("{minutes} 分钟内接触了 {subjects} 个不同主体（阈值 {threshold}）",
                           "{subjects} distinct subjects within {minutes} minutes (threshold "
                           "{threshold})"),
    "rule.no_case.name": ("无办件编号的个人数据查询", "Person reads without a case"),
    "rule.no_case.explain": ("读取（或尝试读取）个人数据的请求没有办件编号或申请编号：无法说明为哪件事而查。",
                             "Requests that read (or tried to read) person data carry no case "
                             "number or application id: nothing says which matter they serve."),
    "rule.no_case.found": ("{day} 有 {count} 次个人数据查询没有办件编号", "{count} person reads "
                           "without a case number on {day}"),
    "rule.out_of_hours.name": ("非工作时间访问", "Out-of-hours access"),
    "rule.out_of_hours.explain": ("在工作日 {hours} 以外或休息日（周末、法定节假日，含调休）访问数据（{zone} 时间）。",
                                  "Data accessed outside {hours} on working days, or on a rest "
                                  "day (weekends and public holidays, with make-up working "
                                  "days), {zone} time."),
    "rule.out_of_hours.found": ("{day}{holiday} 工作时间外访问 {count} 次", "{count} accesses "
                                "outside working hours on {day}{holiday}"),
    "rule.rare_purpose.name": ("少用的用途", "A purpose rarely used"),
    "rule.rare_purpose.explain": ("调用方以某一用途发起的请求不到其全部请求的 {threshold}%"
                                  "（至少 {min} 条请求时才判断）：可能是借用途之名。",
                                  "A caller uses a purpose for less than {threshold}% of its "
                                  "requests (judged from {min} requests on): the purpose may be "
                                  "borrowed."),
    "rule.rare_purpose.found": ("{count} / {total} 次（{share}%，阈值 {threshold}%）",
                                "{count} of {total} requests ({share}%, threshold "
                                "{threshold}%)"),
    "rule.burst.name": ("突发访问", "Burst"),
    "rule.burst.explain": ("调用方在 {minutes} 分钟内的请求数超过其区间平均值的 {factor} 倍，且至少 {min} 次。",
                           "A caller makes more than {factor} times its own average number of "
                           "requests in {minutes} minutes, and at least {min}."),
    "rule.burst.found": ("{minutes} 分钟内 {count} 次（平均 {average} 次）", "{count} requests in "
                         "{minutes} minutes (average {average})"),
    "rule.consent_probing.name": ("反复出示无效授权", "Trying consents"),
    "rule.consent_probing.explain": ("{minutes} 分钟内针对同一主体出现 {threshold} 次或更多 "
                                     "CONSENT_INVALID：可能有人在试授权。",
                                     "CONSENT_INVALID {threshold} or more times for the same "
                                     "subject within {minutes} minutes: someone may be trying "
                                     "consents."),
    "rule.consent_probing.found": ("{count} 次 CONSENT_INVALID（{callers}）", "{count} times "
                                   "CONSENT_INVALID ({callers})"),
    "rule.consent_edge.name": ("授权用到极限", "Consents used to the edge"),
    "rule.consent_edge.explain": ("可多次使用的授权（至少 {min} 次）被用到最后一次，"
                                  "或在到期前 {minutes} 分钟内被使用。",
                                  "A reusable consent (of {min} or more uses) used up to its "
                                  "last use, or used in its last {minutes} minutes."),
    "rule.consent_edge.found.uses": ("已用 {uses} / {max_uses} 次", "used {uses} of {max_uses} "
                                     "times"),
    "rule.consent_edge.found.time": ("在到期（{valid_until}）前 {minutes} 分钟内使用",
                                     "used within {minutes} minutes of its end ({valid_until})"),
}


class Translator:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self._index = LANGS.index(lang)

    def __call__(self, key: str, **values: object) -> str:
        text = MESSAGES[key][self._index]
        return text.format(**values) if values else text


def lang_of(value: str | None) -> Lang:
    """The language a cookie or form names; Chinese unless it says English."""
    return "en" if value == "en" else "zh"
