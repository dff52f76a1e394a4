/// The one stylesheet, served at /assets/style.css (embedded: no CDN, no build step).
enum Style {
    static let css = #"""
    body { font: 14px/1.4 "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; color: #222; }
    header { background: #1f3b57; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
    header a { color: #cfe3f7; text-decoration: none; }
    header a.active { color: #fff; font-weight: bold; }
    header .db { margin-left: auto; color: #9fb8cf; font-size: 12px; }
    main { padding: 12px 16px; }
    h1 { font-size: 20px; margin: 8px 0 12px; }
    h2 { font-size: 16px; margin: 20px 0 8px; }
    table { border-collapse: collapse; margin: 6px 0; }
    th, td { border-bottom: 1px solid #e2e2e2; padding: 3px 8px; text-align: left; white-space: nowrap; }
    th { background: #f3f5f7; position: sticky; top: 0; }
    th.sortable a { color: #1f3b57; text-decoration: none; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    tr:hover td { background: #f7fafc; }
    tr.differs td { background: #fff6d9; }
    .filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-bottom: 8px; }
    .filters input[type=text] { font-family: "DejaVu Sans Mono", monospace; }
    .status { color: #555; font-size: 12px; }
    .status.bad { color: #b00020; }
    .error { border: 1px solid #e0a0a0; background: #fff0f0; padding: 6px 10px; margin: 8px 0; }
    .error p { margin: 0; color: #900; }
    .error pre { margin: 4px 0 0; }
    .status-failed, .status-interrupted { color: #b00020; }
    .status-running { color: #8a6d00; }
    .pages a { margin-right: 16px; }
    .plot svg { max-width: 100%; height: auto; }
    .curves { display: flex; flex-wrap: wrap; gap: 12px; }
    .hover { position: fixed; display: none; background: #fff; border: 1px solid #888; padding: 4px 8px;
             font-size: 12px; pointer-events: none; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
    code { background: #f3f5f7; padding: 1px 4px; }
    """#
}
