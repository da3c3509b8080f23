"""The register of issued reports: report numbers, the signed documents kept for their
retention period, and the verification code printed on every 核查结果告知书.

Plain Python over SQLAlchemy Core (no GraphQL, no HTTP): the gateway files each signed report
here before the answer leaves, `GET /reports/{reportNo}` prints it again, and `GET /verify`
answers whether a report with that number and code exists.
"""
