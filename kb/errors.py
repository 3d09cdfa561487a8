"""One exception hierarchy. Messages are Chinese and say what the user can do about it.

The library raises these; the CLI and the web app turn them into messages at the boundary.
"""
from __future__ import annotations


class KBError(Exception):
    """Base class: every error a user can act on."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}（{hint}）")


class InputError(KBError):
    """The user's input (file, question, query) cannot be used."""

    exit_code = 2


class FileNotFound(InputError):
    def __init__(self, path):
        super().__init__(f"找不到文件：{path}", hint="请检查路径是否正确、文件是否存在")


class UnsupportedFormat(InputError):
    def __init__(self, path, detail: str = ""):
        super().__init__(
            f"不支持的文件格式：{path}{('，' + detail) if detail else ''}",
            hint="目前支持 .txt、.md、.pdf、.docx；.doc/.wps 请先用 Word 或 WPS 另存为 .docx",
        )


class FileTooLarge(InputError):
    def __init__(self, path, size: int, limit: int):
        super().__init__(
            f"文件过大：{path}（{size / 1024 / 1024:.1f} MB，上限 {limit / 1024 / 1024:.0f} MB）",
            hint="请拆分文件，或设置环境变量 KB_MAX_FILE_MB 提高上限",
        )


class EmptyDocument(InputError):
    def __init__(self, path):
        super().__init__(f"文件没有可读取的文字内容：{path}", hint="请确认文件不是空白文档")


class ScannedPDF(InputError):
    def __init__(self, path):
        super().__init__(
            f"该 PDF 没有文字层，像是扫描件或图片：{path}",
            hint="请先用 OCR 软件识别成文字，或提供 Word/文本版本",
        )


class EncryptedPDF(InputError):
    def __init__(self, path):
        super().__init__(f"该 PDF 已加密，无法读取：{path}", hint="请先解除密码保护后再导入")


class CorruptFile(InputError):
    def __init__(self, path, detail: str = ""):
        super().__init__(
            f"文件已损坏或不是声明的格式：{path}{('（' + detail + '）') if detail else ''}",
            hint="请用 Word/WPS 打开确认后重新保存，或重新下载原文件",
        )


class NoStructure(InputError):
    def __init__(self, what: str):
        super().__init__(f"未能识别出任何条文结构：{what}", hint="请确认文件是政策或法规正文（含“第X条”或“1.”“一、”等编号）")


class BadQuery(InputError):
    """Empty, punctuation-only or over-long question/query."""


class DictionaryError(InputError):
    """A line of a segmentation data file (domain dictionary, synonyms) cannot be parsed."""

    def __init__(self, path, line_no: int, line: str):
        super().__init__(
            f"词典文件格式错误：{path} 第 {line_no} 行：{line!r}",
            hint="每行格式为“词 频 词性”或“俗称<TAB>法言法语1|法言法语2”，以 # 开头的行是注释",
        )


class DuplicateDocument(KBError):
    def __init__(self, title: str, existing_id: str):
        super().__init__(f"该文件已在知识库中：《{title}》（编号 {existing_id}）", hint="内容完全相同的文件不会重复导入")


class DocumentNotFound(KBError):
    def __init__(self, doc_id: str):
        super().__init__(f"知识库中没有编号为 {doc_id} 的文件", hint="用 kb corpus list 查看已有文件的编号")


class IndexMissing(KBError):
    def __init__(self, where):
        super().__init__(f"还没有建立检索索引：{where}", hint="请先运行 make setup 或 kb index build")


class IndexOutdated(KBError):
    def __init__(self, where, damage: str = ""):
        what = f"检索索引文件已损坏（{damage}）" if damage else "检索索引是旧版本格式"
        super().__init__(f"{what}，需要重建：{where}", hint="请运行 kb index build（国家法律法规库：kb library import）")


class ModelError(KBError):
    """Embedding model missing, unreadable, or mismatched with the index."""


class NoVectors(ModelError):
    """A dense search or a vector lookup on an index built without vectors, or a document written without them."""

    def __init__(self, what: str = "该索引没有向量部分", hint: str = "请先运行 make setup 或 kb index build"):
        super().__init__(what, hint=hint)


class CollectionMissing(KBError):
    def __init__(self, name: str):
        super().__init__(f"没有名为 {name} 的检索库", hint="国家法律法规库请先运行 kb library import")


class ContentTooLarge(InputError):
    """A file small on disk that expands past a limit: zip bombs, huge PDFs, too much extracted text."""

    def __init__(self, path, detail: str):
        super().__init__(f"文件内容超出处理上限：{path}（{detail}）",
                         hint="可能是异常或被构造的文件（如压缩炸弹）；正常文件请拆分后再导入，或用 Word/WPS 另存为新的 .docx")


class OutputNotWritable(InputError):
    def __init__(self, path, reason: str = ""):
        super().__init__(f"无法写入输出文件：{path}{('（' + reason + '）') if reason else ''}",
                         hint="请确认目录存在且有写入权限，或换一个保存位置")


class AccountError(InputError):
    """A bad user name, role or password, or an account that does not exist."""


class PermissionDenied(KBError):
    exit_code = 3

    def __init__(self, action: str, role: str | None):
        who = f"当前角色“{role}”" if role else "未登录的访问"
        super().__init__(f"没有权限：{who}不能{action}", hint="请用有相应权限的账户登录，或联系管理员")


class NotLoggedIn(KBError):
    exit_code = 3

    def __init__(self):
        super().__init__("请先登录", hint="会话已过期或尚未登录，请刷新页面重新登录")


class ServeRefused(InputError):
    """`kb serve` on a network address without any account, or with an unusable host option."""


class UnquotedFigure(KBError):
    """An eligibility check would rest on a figure that is not in the sentence it quotes (a program error)."""

    def __init__(self, figure: str):
        super().__init__(f"判断依据的数值“{figure}”不在所引条文中，不作判断",
                         hint="这是程序错误，请把问题原文报给维护人员；判断只能依据引文中写明的数字")
