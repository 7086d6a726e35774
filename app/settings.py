"""All configuration in one class; env names match `.env.example` line for line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.config import KnowledgeConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Service settings, read from the environment and `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=False)

    DATA_DIR: Path = Field(
        Path("data"), description="Folder holding every piece of run-time state."
    )
    DATABASE_URL: str = Field(
        "",
        description="SQLAlchemy URL of the store; empty means SQLite at DATA_DIR/store.sqlite.",
    )
    CHECKPOINT_URL: str = Field(
        "",
        description="Conversation memory: empty means SQLite at DATA_DIR/checkpoints.sqlite; "
        "a postgresql:// URL uses Postgres.",
    )
    CHROMA_URL: str = Field(
        "", description="http(s)://host:port of a Chroma server; empty means embedded Chroma."
    )
    KB_COLLECTION: str = Field("help_center", description="Chroma collection of the help centre.")
    KB_DIR: Path = Field(
        PROJECT_ROOT / "knowledge" / "demo_kb",
        description="Markdown folder ingested by `make setup`.",
    )
    KB_MIN_SCORE: float = Field(
        0.36, description="Best passage similarity below which the bot says it has no answer."
    )
    KB_SURE_SCORE: float = Field(
        0.5,
        description="The same when no single intent was sure it is a help-centre question.",
    )
    EMBEDDING_MODEL: str = Field(
        "", description="Path of a sentence-transformers model; empty means the packaged MiniLM."
    )
    MODEL_THREADS: int = Field(
        1,
        ge=1,
        le=64,
        description="CPU threads one model call may use (torch and BLAS) in each worker; 1 "
        "serves concurrent customers best, as turns already run side by side.",
    )
    OPENAI_BASE_URL: str = Field(
        "", description="OpenAI-compatible endpoint; empty means the offline extractive composer."
    )
    OPENAI_API_KEY: str = Field(
        "", description="Key for OPENAI_BASE_URL (any text for local servers)."
    )
    LLM_MODEL: str = Field("", description="Model name sent to OPENAI_BASE_URL.")
    LLM_TIMEOUT_SECONDS: float = Field(
        15.0,
        gt=0,
        description="Seconds the LLM endpoint may take to connect or to send the next part of "
        "its answer; past it, the offline composer answers.",
    )
    LLM_MAX_TOKENS: int = Field(300, description="Longest reply the LLM may write.")
    EVAL_LLM_BASE_URL: str = Field(
        "", description="OpenAI-compatible endpoint judging LLM metrics in `support evals run`."
    )
    EVAL_LLM_API_KEY: str = Field("", description="Key for EVAL_LLM_BASE_URL, if it needs one.")
    EVAL_LLM_MODEL: str = Field("", description="Judge model name sent to EVAL_LLM_BASE_URL.")
    NLU_CACHE_DIR: str = Field(
        "",
        description="Folder of trained intent models keyed by a hash of corpus, code and "
        "encoder, shared by `support setup` and the tests; empty means "
        "~/.cache/support-agent/intent; off: always train.",
    )
    NLU_CANDIDATE_VERSION: str = Field(
        "", description="A/B test: registered intent model version served to a share of sessions."
    )
    NLU_CANDIDATE_SHARE: float = Field(
        0.5, ge=0.0, le=1.0, description="A/B test: share of sessions the candidate serves."
    )
    ESCALATION_THRESHOLD: float = Field(
        0.6, description="Intent confidence below which a turn is handed to a human."
    )
    NEGATIVE_SENTIMENT_THRESHOLD: float = Field(
        -0.7,
        ge=-1.0,
        le=0.0,
        description="Sentiment score (-1..1) at or below which a turn goes to a human.",
    )
    ESCALATION_WEBHOOK_URL: str = Field(
        "", description="Slack-compatible incoming webhook told of new escalations; empty: off."
    )
    WEBHOOK_MAX_ATTEMPTS: int = Field(
        5,
        ge=1,
        description="Tries of one escalation notice (timeouts, connection errors, 408, 429 and "
        "5xx are retried) before it is kept as a dead letter for `support ops webhooks`.",
    )
    WEBHOOK_BACKOFF_SECONDS: float = Field(
        2.0,
        ge=0.0,
        description="Wait before the first retry of a notice; doubles each retry, with jitter.",
    )
    WEBHOOK_BACKOFF_MAX_SECONDS: float = Field(
        300.0,
        ge=0.0,
        description="Longest wait between two tries of a notice, a webhook's Retry-After included.",
    )
    PUBLIC_BASE_URL: str = Field(
        "", description="Base URL of this service, for console links in escalation notices."
    )
    WIDGET_ORIGINS: str = Field(
        "",
        description="Origins (comma-separated, e.g. https://shop.example) whose pages may call "
        "the chat API from the browser: the chat widget on a shop served from another "
        "address; empty allows none.",
    )
    MAX_MESSAGE_CHARS: int = Field(2000, description="Longest customer message accepted.")
    POLICY_FILE: str = Field(
        "",
        description="TOML file of the written support policy (refund window, conditions, "
        "cancellation, approval limit); empty means tools/policy/default.toml.",
    )
    JWT_SECRET: str = Field(
        "", description="HS256 secret for bearer tokens; empty means a random one kept in DATA_DIR."
    )
    JWT_TTL_SECONDS: int = Field(86400, description="Lifetime of tokens minted by `support token`.")
    # Abuse limits: N per window, kept in the store (shared by every worker); 0 turns one off.
    VERIFY_FAILURES_PER_IDENTITY: int = Field(
        5, ge=0, description="Failed identity checks per claimed e-mail, order number or name."
    )
    VERIFY_IDENTITY_WINDOW_SECONDS: int = Field(
        900, ge=0, description="Window of VERIFY_FAILURES_PER_IDENTITY."
    )
    VERIFY_FAILURES_PER_CLIENT: int = Field(
        20, ge=0, description="Failed identity checks per client address, across conversations."
    )
    VERIFY_CLIENT_WINDOW_SECONDS: int = Field(
        3600, ge=0, description="Window of VERIFY_FAILURES_PER_CLIENT."
    )
    VERIFIED_SESSION_SECONDS: int = Field(
        7200,
        ge=0,
        description="How long an anonymous caller's proof of identity lasts before they are "
        "asked again.",
    )
    TICKETS_PER_CLIENT: int = Field(
        5, ge=0, description="New tickets per anonymous caller's address per TICKET_WINDOW_SECONDS."
    )
    TICKETS_PER_CUSTOMER: int = Field(
        5, ge=0, description="New tickets per identified customer per TICKET_WINDOW_SECONDS."
    )
    TICKET_WINDOW_SECONDS: int = Field(
        3600, ge=0, description="Window of TICKETS_PER_CLIENT and TICKETS_PER_CUSTOMER."
    )
    TURNS_PER_CLIENT_PER_MINUTE: int = Field(
        60, ge=0, description="Chat messages per client address per minute (429 over it)."
    )
    TURNS_PER_CUSTOMER_PER_MINUTE: int = Field(
        60, ge=0, description="Chat messages per signed-in customer per minute (429 over it)."
    )
    SESSIONS_PER_CLIENT_PER_MINUTE: int = Field(
        30, ge=0, description="New conversations per client address per minute (429 over it)."
    )
    HOST: str = Field("127.0.0.1", description="Address `support serve` binds.")
    PORT: int = Field(8000, ge=1, le=65535, description="Port `support serve` binds (1-65535).")
    LOG_LEVEL: str = Field("INFO", description="Log level of `support serve`.")
    LOG_FORMAT: str = Field(
        "json", pattern="^(json|text)$", description="json (one redacted object per line) or text."
    )
    TRACING_EXPORTER: str = Field(
        "",
        pattern="^(|console|otlp|memory)$",
        description="OpenTelemetry spans per turn and node: empty (off), console, otlp or memory.",
    )
    TRACING_OTLP_ENDPOINT: str = Field(
        "", description="OTLP/gRPC collector for TRACING_EXPORTER=otlp, e.g. http://127.0.0.1:4317."
    )
    METRICS_SCRAPE_TARGETS: str = Field(
        "",
        description="host:port,host:port Prometheus scrapes (`support ops prometheus-config`); "
        "empty means this service's HOST:PORT.",
    )
    DRIFT_MIN_RELABELS: int = Field(
        30,
        ge=1,
        description="Fewest agent-relabelled turns in the window for `support drift check` to "
        "judge intent F1.",
    )
    DESK_SLA_WARN_SECONDS: int = Field(
        300,
        ge=1,
        description="Agent desk: a customer waiting this long for a human turns the queue row "
        "amber.",
    )
    DESK_SLA_BREACH_SECONDS: int = Field(
        900,
        ge=1,
        description="Agent desk: waiting this long breaches the response target; the row turns "
        "red.",
    )
    EMAIL_SMTP_LISTEN: str = Field(
        "",
        description="host:port the support mailbox's SMTP server listens on (e.g. "
        "127.0.0.1:2525); empty: no e-mail channel.",
    )
    EMAIL_FROM_ADDRESS: str = Field(
        "", description="Address replies are sent from, e.g. support@shop.example."
    )
    EMAIL_SMTP_RELAY: str = Field(
        "", description="host:port of the SMTP server replies are sent through."
    )
    EMAIL_SMTP_USER: str = Field(
        "", description="User name for EMAIL_SMTP_RELAY, if it asks for one."
    )
    EMAIL_SMTP_PASSWORD: str = Field("", description="Password for EMAIL_SMTP_USER.")
    EMAIL_SMTP_STARTTLS: bool = Field(
        False, description="Upgrade the connection to EMAIL_SMTP_RELAY with STARTTLS."
    )
    EMAIL_TRUST_SENDER: bool = Field(
        False,
        description="true only when the mail server in front of EMAIL_SMTP_LISTEN checks "
        "senders (SPF/DKIM/DMARC) and is the only one that can reach it: the From address then "
        "names the customer; false: senders verify like anonymous chat.",
    )
    EMAIL_MAX_BYTES: int = Field(
        262144,
        ge=1024,
        description="Largest inbound e-mail accepted; a larger one is refused (552).",
    )
    FAULT_PAUSE_AFTER_WRITE_SECONDS: float = Field(
        0.0,
        ge=0.0,
        description="Test hook for crash tests: seconds a confirmed write waits after its "
        "commit, before the reply is recorded; keep 0.",
    )

    @field_validator("WIDGET_ORIGINS")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest:
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], e.g. "
                    "https://shop.example, without a path"
                )
        return value

    @property
    def widget_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.WIDGET_ORIGINS.split(",") if o.strip()]

    # -- derived locations -------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.DATA_DIR.resolve()

    @property
    def database_url(self) -> str:
        return self.DATABASE_URL or f"sqlite:///{self.data_dir / 'store.sqlite'}"

    @property
    def checkpoint_url(self) -> str:
        return self.CHECKPOINT_URL or str(self.data_dir / "checkpoints.sqlite")

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self.data_dir / "tiktoken"

    @property
    def knowledge(self) -> KnowledgeConfig:
        """The part of these settings that knowledge/ reads (it never sees Settings)."""
        return KnowledgeConfig(
            chroma_path=self.chroma_path,
            query_log=self.data_dir / "kb_queries.sqlite",
            chroma_url=self.CHROMA_URL,
            collection=self.KB_COLLECTION,
            embedding_model=self.EMBEDDING_MODEL,
        )

    @property
    def nlu_cache_dir(self) -> Path | None:
        """Where trained intent models are cached, or None when NLU_CACHE_DIR is off."""
        if self.NLU_CACHE_DIR.strip().lower() == "off":
            return None
        if self.NLU_CACHE_DIR:
            return Path(self.NLU_CACHE_DIR).expanduser().resolve()
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / "support-agent" / "intent"

    @property
    def llm_configured(self) -> bool:
        return bool(self.OPENAI_BASE_URL and self.LLM_MODEL)

    def jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept in DATA_DIR."""
        if self.JWT_SECRET:
            return self.JWT_SECRET
        path = self.data_dir / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def email_configured(self) -> bool:
        """Whether replies can be mailed (the relay and the sender address are set)."""
        return bool(self.EMAIL_SMTP_RELAY and self.EMAIL_FROM_ADDRESS)

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)
