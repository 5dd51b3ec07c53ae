"""The layout of a transaction log: the columns of the UCI "Online Retail II" data, and the
course's product catalogue.

One place for the names the generator, the reader, the cleaning, RFM and the notebooks share.
A log has one row per invoice line: which product, how many, when, at what unit price, for
which customer. An invoice whose number starts with "C" is a cancellation (its quantities are
negative).

The catalogue is the course's: the simulated logs sell products of the six spending
categories of the course data, so RFM+X can use a customer's category mix. A real log (the
UCI file) has its own stock codes, which the catalogue does not know: their category is
missing, and everything that needs no category still works.
"""

from __future__ import annotations

#: The columns of a log, in the UCI Online Retail II order.
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "Invoice",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
    "Country",
)

#: The first UCI "Online Retail" file (2010-2011) names three columns differently.
OLD_COLUMN_NAMES: dict[str, str] = {
    "InvoiceNo": "Invoice",
    "UnitPrice": "Price",
    "CustomerID": "Customer ID",
}

#: An invoice number starting with this letter is a cancellation.
CANCELLATION_PREFIX = "C"

#: The columns the cleaning adds: the line's amount (Quantity x Price, in m.u.) and the
#: product's category (missing when the catalogue does not know the stock code).
AMOUNT = "Amount"
CATEGORY = "Category"

#: The course's catalogue: for each spending category, its products as
#: (stock code, description, typical unit price in m.u.). A stock code's first digit is its
#: category's place in SPENDING_COLUMNS, counted from 1.
CATALOGUE: dict[str, tuple[tuple[str, str, float], ...]] = {
    "Fresh": (
        ("10001", "FRESH VEGETABLES CRATE", 18.50),
        ("10002", "SEASONAL FRUIT BOX", 24.00),
        ("10003", "FRESH FISH, DAILY CATCH", 42.75),
        ("10004", "BUTCHER'S CUTS TRAY", 55.20),
    ),
    "Milk": (
        ("20001", "WHOLE MILK 12 x 1 L", 9.60),
        ("20002", "YOGHURT TRAY 24 POTS", 11.40),
        ("20003", "BUTTER 10 x 250 G", 21.00),
        ("20004", "CREAM 6 x 1 L", 16.80),
    ),
    "Grocery": (
        ("30001", "RICE 10 KG SACK", 14.90),
        ("30002", "OLIVE OIL 5 L", 32.50),
        ("30003", "CANNED TOMATOES 24 TINS", 19.20),
        ("30004", "DRY PASTA 12 KG", 17.60),
    ),
    "Frozen": (
        ("40001", "FROZEN VEGETABLES 10 KG", 22.40),
        ("40002", "FROZEN FISH FILLETS 5 KG", 38.90),
        ("40003", "ICE CREAM 6 L", 27.30),
        ("40004", "FROZEN CHIPS 4 x 2.5 KG", 15.80),
    ),
    "Detergents_Paper": (
        ("50001", "DISHWASHER TABLETS 200", 29.90),
        ("50002", "PAPER TOWELS 24 ROLLS", 18.70),
        ("50003", "FLOOR CLEANER 5 L", 12.40),
        ("50004", "NAPKINS 4000", 23.10),
    ),
    "Delicassen": (
        ("60001", "CURED HAM, WHOLE", 89.00),
        ("60002", "AGED CHEESE WHEEL", 64.50),
        ("60003", "OLIVES AND PICKLES TRAY", 26.40),
        ("60004", "SMOKED SALMON 1 KG", 48.60),
    ),
}

#: Each stock code of the catalogue and its category.
CATEGORY_OF_STOCK_CODE: dict[str, str] = {
    code: category for category, products in CATALOGUE.items() for code, _, _ in products
}
