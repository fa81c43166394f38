"""The fixed words of the address certificate: Vietnamese first, then English."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

#: The time zone the issue time is printed in.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
REGISTRY = "Sổ đăng ký địa chỉ số"
TITLE = "GIẤY XÁC NHẬN THÔNG TIN ĐỊA CHỈ SỐ"
SUBTITLE = "Certificate of a digital address"

CODE_LABEL = "MÃ ĐỊA CHỈ SỐ · DIGITAL ADDRESS CODE"
CANONICAL_LABEL = "Mã chuẩn (canonical)"
LOCAL_LABEL = "Mã rút gọn (local)"

#: Table rows: (Vietnamese label, English label).
ADDRESS = ("Địa chỉ", "Address")
COMMUNE = ("Xã/phường", "Commune/ward")
PROVINCE = ("Tỉnh/thành phố", "Province/city")
POSTCODE = ("Mã bưu chính", "Postcode")
COORDINATES = ("Tọa độ (WGS 84)", "Coordinates")
STATUS = ("Tình trạng", "Status")
ISSUED = ("Thời điểm cấp", "Issued")
AUTHORITY = ("Đơn vị cấp", "Issued by")

UNIT_CODE = "mã {code}"
COORDINATE_ORDER = "vĩ độ, kinh độ · latitude, longitude"
ACTIVE = "Đang sử dụng"
ACTIVE_EN = "Active: the code is in use"
RETIRED = "Đã thu hồi"
RETIRED_SUCCESSOR = "Đã thu hồi; mã mới: {successor}"
RETIRED_EN = "Retired: the code is no longer in use"
RETIRED_SUCCESSOR_EN = "Retired; the new code of this address is {successor}"

BANNER = "MÃ ĐỊA CHỈ NÀY ĐÃ BỊ THU HỒI"
BANNER_SUCCESSOR = "Mã mới thay thế: {successor}"
BANNER_NO_SUCCESSOR = "Mã này không có mã thay thế."
BANNER_EN = "RETIRED: this code is no longer valid"
BANNER_SUCCESSOR_EN = "Its successor is {successor}"

MAP_LABEL = "SƠ ĐỒ VỊ TRÍ · LOCATION MAP"
MAP_NORTH = "B"  # Bắc: north, as Vietnamese maps mark it
MAP_CAPTION = (
    "Ranh giới {commune} là dữ liệu tham khảo, không phải ranh giới pháp lý{source}. "
    "Reference boundary, not a legal boundary."
)
MAP_SOURCE = " (nguồn: {source})"
NO_MAP = (
    "Chưa có ranh giới xã/phường trong sổ đăng ký: vị trí được xác nhận bằng tọa độ. "
    "No commune boundary is loaded: the location is stated by its coordinates."
)

VERIFY_LABEL = "KIỂM TRA · VERIFY"
VERIFY = "Quét mã QR để kiểm tra địa chỉ này còn hiệu lực."
VERIFY_EN = "Scan the QR code to check that this address is still valid."

FOOTER = (
    "Giấy này do Sổ đăng ký địa chỉ số tạo tự động, chỉ xác nhận địa chỉ và không chứa thông tin "
    "cá nhân của hộ gia đình. Tình trạng hiện tại của mã luôn được kiểm tra qua mã QR."
)
FOOTER_EN = (
    "Issued automatically by the digital address registry. It certifies the address only and "
    "holds no personal data. Scan the QR code for the code's current status."
)

#: Every fixed word, for the glyph check.
FIXED = " ".join(
    [
        NATION,
        MOTTO,
        REGISTRY,
        TITLE,
        SUBTITLE,
        CODE_LABEL,
        CANONICAL_LABEL,
        LOCAL_LABEL,
        *ADDRESS,
        *COMMUNE,
        *PROVINCE,
        *POSTCODE,
        *COORDINATES,
        *STATUS,
        *ISSUED,
        *AUTHORITY,
        UNIT_CODE,
        COORDINATE_ORDER,
        ACTIVE,
        ACTIVE_EN,
        RETIRED_SUCCESSOR,
        RETIRED_EN,
        RETIRED_SUCCESSOR_EN,
        BANNER,
        BANNER_SUCCESSOR,
        BANNER_NO_SUCCESSOR,
        BANNER_EN,
        BANNER_SUCCESSOR_EN,
        MAP_LABEL,
        MAP_CAPTION,
        NO_MAP,
        VERIFY_LABEL,
        VERIFY,
        VERIFY_EN,
        FOOTER,
        FOOTER_EN,
    ]
)


def issue_time(moment: datetime) -> tuple[str, str]:
    """``moment`` in Vietnam's time, as Vietnamese documents write it and in ISO form."""
    local = moment.astimezone(VIETNAM)
    offset = local.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}"
    vietnamese = f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"
    return vietnamese, f"{local:%Y-%m-%d %H:%M} ({VIETNAM.key}, {zone})"
