"""The model layer every surface shares: the reply parser (`replies`), loading, chat rendering, generation.

Importing the package is cheap: submodules that need torch or transformers import them inside functions.
"""
