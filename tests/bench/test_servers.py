from bench.servers import CLOCK_TICKS, cpu_seconds_between, stat_cpu_ticks

# A worker whose command name holds spaces and parentheses; utime 250, stime 50 (fields 14, 15).
STAT = (
    "1234 (gunicorn: worker [x)]) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 50 0 0 20 0 1 0"
    " 9000 200000000 12000 18446744073709551615 1 1 0 0 0 0 0 16781312 17002 0 0 0 17 1 0 0"
)


def test_cpu_time_is_read_after_a_command_name_with_spaces_and_parentheses():
    assert stat_cpu_ticks(STAT) == 300


def test_cpu_time_between_readings_counts_a_process_started_in_between_in_full():
    before = {10: 100, 11: 40}
    after = {10: 130, 11: 40, 12: 20}

    assert cpu_seconds_between(before, after) == 50 / CLOCK_TICKS


def test_cpu_time_of_a_reused_pid_never_counts_below_zero():
    assert cpu_seconds_between({10: 500}, {10: 20}) == 0
