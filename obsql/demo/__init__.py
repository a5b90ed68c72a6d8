"""The taxi pipeline from the papers, synthetic but faithful, used by `obsql demo`."""
