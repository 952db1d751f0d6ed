def pytest_configure(config):
    config.addinivalue_line("markers", "slow: builds the crate (pip install ./python); deselect with -m 'not slow'")
