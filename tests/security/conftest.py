"""The outage test cuts a real PostgreSQL connection: without LINZHI_TEST_POSTGRES it is not
collected, and the report header says so (see tests/conftest.py)."""

from tests.conftest import POSTGRES_URL

collect_ignore = [] if POSTGRES_URL else ["test_faults.py"]
