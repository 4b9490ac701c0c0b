// names_reports.mjs: the accessible names of UI.md for Reports, Earnings,
// Conversions (with Rejected), Settings and Postback, in English and
// Japanese, written here from UI.md (not read from web/i18n), so that a
// renamed string breaks the tests as it would break the product's checks.
// The names UI.md does not give are the UI's own (marked "ours").
export const RNAMES = {
  en: {
    reports: 'Reports', filters: 'Report filters', program: 'Program', campaign: 'Campaign',
    partner: 'Partner', range: 'Date range', last7: 'Last 7 days', last30: 'Last 30 days',
    thisMonth: 'This month', custom: 'Custom', from: 'From', to: 'To', tz: 'Time zone',
    groupBy: 'Group by', day: 'Day', hour: 'Hour', task: 'Task', link: 'Link', apply: 'Apply',
    chartMetric: 'Chart metric', clicks: 'Clicks', conversionsMetric: 'Conversions',
    revenue: 'Revenue', payout: 'Payout', chartName: (metric, group) => `${metric} by ${group}`,
    report: 'Report', reportCols: ['Clicks', 'Unique clicks', 'Conversions', 'Revenue', 'Payout', 'Currency'],
    total: 'Total', csv: 'Download CSV', noData: 'No data for this period',
    earnings: 'Earnings', totals: 'Totals', totalsCols: ['Clicks', 'Conversions', 'Earnings', 'Currency'],
    conversionsTable: 'Conversions', conversionCols: ['Date', 'Order ID', 'Amount', 'Earnings', 'Status'],
    conversions: 'Conversions', pending: 'Pending', approved: 'Approved', reversed: 'Reversed',
    rejected: 'Rejected', approve: 'Approve', reverse: 'Reverse', reason: 'Reason', confirm: 'Confirm',
    history: 'History', // ours
    rejectedCols: ['Time', 'Order ID', 'Click ID', 'Reason'],
    settings: 'Settings', apiKeys: 'API keys', keyCols: ['Name', 'Prefix', 'Created', 'Last used'],
    createKey: 'Create API key', name: 'Name', apiKey: 'API key', copy: 'Copy', revoke: 'Revoke',
    postback: 'Postback', postbackUrl: 'Postback URL', events: 'Events', save: 'Save',
    deliveries: 'Deliveries', copied: 'Copied to clipboard', retry: 'Retry',
  },
  ja: {
    reports: 'レポート', filters: 'レポート条件', program: 'プログラム', campaign: 'キャンペーン',
    partner: 'パートナー', range: '期間', last7: '過去7日間', last30: '過去30日間',
    thisMonth: '今月', custom: 'カスタム', from: '開始日', to: '終了日', tz: 'タイムゾーン',
    groupBy: '集計単位', day: '日', hour: '時間', task: 'タスク', link: 'リンク', apply: '適用',
    chartMetric: 'グラフの指標', clicks: 'クリック数', conversionsMetric: 'コンバージョン数',
    revenue: '売上', payout: '報酬', chartName: (metric, group) => `${group}別の${metric}`,
    report: 'レポート', reportCols: ['クリック数', 'ユニーククリック数', 'コンバージョン数', '売上', '報酬', '通貨'],
    total: '合計', csv: 'CSVをダウンロード', noData: 'この期間のデータはありません',
    earnings: '収益', totals: '合計', totalsCols: null, // UI.md names them in English only
    conversionsTable: 'コンバージョン', conversionCols: null,
    conversions: 'コンバージョン', pending: '保留中', approved: '承認済み', reversed: '取り消し済み',
    rejected: '却下', approve: '承認', reverse: '取り消す', reason: '理由', confirm: '確定',
    history: '履歴', // ours
    rejectedCols: null,
    settings: '設定', apiKeys: 'APIキー', keyCols: null,
    createKey: 'APIキーを作成', name: '名前', apiKey: 'APIキー', copy: 'コピー', revoke: '無効化',
    postback: 'ポストバック', postbackUrl: 'ポストバックURL', events: 'イベント', save: '保存',
    deliveries: '配信履歴', copied: 'クリップボードにコピーしました', retry: '再試行',
  },
};

export const RN = (lang) => RNAMES[lang];
