"""OCR Giro files for the OCR import tests (tests/billing/test_ocr*.py), built with
``netsgiro`` as Nets writes them: one transmission, an assignment of OCR Giro
transactions to the club's account, and optionally an assignment of AvtaleGiro
agreement records."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import netsgiro

NETS_DATE = date(2026, 2, 2)
ACCOUNT = "12345678903"  # make_club's account


@dataclass
class Tx:
    kid: str
    amount: Decimal | str
    number: int = 0  # 0: its place in the list
    type: netsgiro.TransactionType = netsgiro.TransactionType.FROM_GIRO_DEBITED_ACCOUNT
    on: date = NETS_DATE
    payer_account: str = "98765432106"
    reversed: bool = False


def ocr_file(
    transactions: list[Tx],
    *,
    number: str = "1000001",
    assignment: str = "4000001",
    account: str = ACCOUNT,
    agreements: list[tuple[str, int, bool]] = (),
) -> bytes:
    """The file's bytes. ``agreements``: (kid, registration type, notify) records."""
    transmission = netsgiro.Transmission(
        number=number, data_transmitter="00008080", data_recipient="00012345", date=NETS_DATE
    )
    if transactions:
        part = transmission.add_assignment(
            service_code=netsgiro.ServiceCode.OCR_GIRO,
            assignment_type=netsgiro.AssignmentType.TRANSACTIONS,
            agreement_id="000000001",
            number=assignment,
            account=account,
            date=NETS_DATE,
        )
        for i, tx in enumerate(transactions, 1):
            part.transactions.append(
                netsgiro.Transaction(
                    service_code=netsgiro.ServiceCode.OCR_GIRO,
                    type=tx.type,
                    number=tx.number or i,
                    date=tx.on,
                    amount=Decimal(tx.amount),
                    kid=tx.kid,
                    reference=f"{tx.number or i:09d}",  # the bank's archive reference
                    text=None,
                    centre_id="13",
                    day_code=2,
                    partial_settlement_number=1,
                    partial_settlement_serial_number="00001",
                    sign="-" if tx.reversed else "0",
                    form_number="0000000000",
                    bank_date=tx.on,
                    debit_account=tx.payer_account,
                    filler="0000000",
                )
            )
    if agreements:
        part = transmission.add_assignment(
            service_code=netsgiro.ServiceCode.AVTALEGIRO,
            assignment_type=netsgiro.AssignmentType.AVTALEGIRO_AGREEMENTS,
            number=str(int(assignment) + 1).zfill(7),
            account=account,
        )
        for i, (kid, registration, notify) in enumerate(agreements, 1):
            part.transactions.append(
                netsgiro.Agreement(
                    service_code=netsgiro.ServiceCode.AVTALEGIRO,
                    number=i,
                    registration_type=registration,
                    kid=kid,
                    notify=notify,
                )
            )
    return (transmission.to_ocr() + "\n").encode("ascii")
