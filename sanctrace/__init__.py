"""sanctrace: figures about Russia's war against Ukraine and the sanctions around it, with provenance."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """`from sanctrace import runs` through getattr, as Prefect's deploy-time loader reads a flow's module
    (it imports the package, then looks the name up): load the submodule on first use."""
    import importlib

    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise AttributeError(name) from None
