// The dashboard's words: Vietnamese first, English on the switch; numbers and dates likewise.

const WORDS = {
  vi: {
    app: "Theo dõi địa chỉ số",
    switch: "English",
    login: "Đăng nhập",
    username: "Tên đăng nhập",
    password: "Mật khẩu",
    totp: "Mã xác thực (quản trị viên)",
    loginFailed: "Đăng nhập không thành công",
    logout: "Đăng xuất",
    signedIn: "{user}",
    loading: "Đang tải…",
    notForYou: "Bảng theo dõi dành cho cán bộ tỉnh và quản trị viên.",
    expired: "Phiên đã hết hạn: đăng nhập lại.",
    province: "Tỉnh/thành phố",
    today: "Số liệu đến ngày {day}",
    communes: "Xã/phường",
    commune: "Xã/phường",
    addresses: "Địa chỉ",
    households: "Hộ gia đình",
    registered_7d: "Đăng ký 7 ngày qua",
    gps_10m_share: "GPS ≤ 10 m",
    flagged: "Cần xem lại",
    plates_printed: "Biển đã in",
    officials_active_7d: "Cán bộ hoạt động 7 ngày",
    map: "Bản đồ",
    shadeBy: "Tô màu theo",
    noData: "Chưa có",
    noBoundaries: "Chưa nạp ranh giới: mỗi xã/phường là một chấm tại điểm tham chiếu.",
    chart: "Hộ đăng ký mỗi ngày",
    days: "{n} ngày",
    total: "Tổng {n} hộ trong {days} ngày",
    table: "Các xã/phường",
    sortBy: "Sắp xếp theo {column}",
    csv: "Tải CSV",
    csvProvinces: "CSV các tỉnh",
    failed: "Không tải được: {reason}",
    reviewHelp: "Cần xem lại: điểm đã sửa xa ô của mã, hoặc đăng ký cạnh một địa chỉ có thể trùng đã xác nhận là nhà khác.",
  },
  en: {
    app: "Digital address progress",
    switch: "Tiếng Việt",
    login: "Log in",
    username: "Username",
    password: "Password",
    totp: "Authenticator code (administrators)",
    loginFailed: "Login failed",
    logout: "Log out",
    signedIn: "{user}",
    loading: "Loading…",
    notForYou: "The dashboard is for province staff and administrators.",
    expired: "The session has expired: log in again.",
    province: "Province",
    today: "Figures as of {day}",
    communes: "Communes",
    commune: "Commune",
    addresses: "Addresses",
    households: "Households",
    registered_7d: "Registered, last 7 days",
    gps_10m_share: "GPS ≤ 10 m",
    flagged: "Flagged for review",
    plates_printed: "Plates printed",
    officials_active_7d: "Officials active, 7 days",
    map: "Map",
    shadeBy: "Shade by",
    noData: "None yet",
    noBoundaries: "No boundaries loaded: each commune is a dot at its reference point.",
    chart: "Households registered per day",
    days: "{n} days",
    total: "{n} households in {days} days",
    table: "Communes",
    sortBy: "Sort by {column}",
    csv: "Download CSV",
    csvProvinces: "Provinces CSV",
    failed: "Could not load: {reason}",
    reviewHelp: "Flagged for review: a point corrected far from its code's cell, or a registration next to a possible duplicate confirmed as another house.",
  },
};

let lang = "vi";

export function setLanguage(next) {
  lang = next === "en" ? "en" : "vi";
  if (typeof document !== "undefined") document.documentElement.lang = lang;
}

export function language() {
  return lang;
}

/** The word `key` in the current language, with `{name}` filled from `values`. */
export function t(key, values = {}) {
  const text = WORDS[lang][key] ?? WORDS.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

const LOCALES = { vi: "vi-VN", en: "en-GB" };

/** A count as people read it: 12.345 in Vietnamese, 12,345 in English. */
export function formatNumber(value, language = lang) {
  return new Intl.NumberFormat(LOCALES[language]).format(value);
}

/** A share (0..1) as a percentage with one decimal; a dash when there is none. */
export function formatShare(value, language = lang) {
  if (value == null) return "–";
  return new Intl.NumberFormat(LOCALES[language], { style: "percent", maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(value);
}

/** An ISO day (2026-12-02) as 02/12/2026 (both languages write the day first). */
export function formatDay(iso) {
  const [year, month, day] = iso.split("-");
  return `${day}/${month}/${year}`;
}

/** An ISO day as the chart's short label: 02/12. */
export function shortDay(iso) {
  const [, month, day] = iso.split("-");
  return `${day}/${month}`;
}
